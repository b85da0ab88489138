package bitcoin

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/chains"
)

// A hand-written BIP 174 (version 0) codec: btcd's psbt package is built on the v1
// wire and chaincfg packages, which the v2 modules Kassa uses replace, and the two
// cannot be linked together. It reads every PSBT of the BIP's test vectors, keeps the
// fields it does not use as they were, and refuses what the BIP calls invalid
// (FuzzDecodePSBT, TestPSBT_BIP174Vectors).

// ErrBadPSBT is returned for a PSBT that is malformed, or that does not match the
// payout it is submitted for (chains.ErrBadPSBT).
var ErrBadPSBT = chains.ErrBadPSBT

// psbtMagic opens every PSBT.
var psbtMagic = []byte{0x70, 0x73, 0x62, 0x74, 0xff}

// Key types this codec reads or writes (BIP 174).
const (
	psbtGlobalUnsignedTx = 0x00
	psbtGlobalVersion    = 0xfb

	psbtInNonWitnessUTXO = 0x00
	psbtInWitnessUTXO    = 0x01
	psbtInPartialSig     = 0x02
	psbtInSighashType    = 0x03
	psbtInRedeemScript   = 0x04
	psbtInWitnessScript  = 0x05
	psbtInBIP32          = 0x06
	psbtInFinalScriptSig = 0x07
	psbtInFinalWitness   = 0x08

	psbtOutRedeemScript  = 0x00
	psbtOutWitnessScript = 0x01
	psbtOutBIP32         = 0x02
)

// maxPSBT bounds what DecodePSBT reads (a payout's PSBT is a few kilobytes).
const maxPSBT = 1 << 20

// psbtKV is one key-value pair of a map.
type psbtKV struct{ key, value []byte }

// psbtMap is one of a PSBT's maps, in the order its pairs were read or set.
type psbtMap []psbtKV

func (m psbtMap) get(key []byte) ([]byte, bool) {
	for _, kv := range m {
		if bytes.Equal(kv.key, key) {
			return kv.value, true
		}
	}
	return nil, false
}

func (m *psbtMap) set(key, value []byte) {
	for i, kv := range *m {
		if bytes.Equal(kv.key, key) {
			(*m)[i].value = value
			return
		}
	}
	*m = append(*m, psbtKV{key, value})
}

// PSBT is a partially signed transaction (BIP 174 version 0): the unsigned
// transaction and a map of fields for the whole, each input and each output.
type PSBT struct {
	Tx      *wire.MsgTx
	global  psbtMap // without the unsigned transaction
	inputs  []psbtMap
	outputs []psbtMap
}

// newPSBT returns an empty PSBT for tx, whose inputs must carry no signature.
func newPSBT(tx *wire.MsgTx) *PSBT {
	return &PSBT{Tx: tx, inputs: make([]psbtMap, len(tx.TxIn)), outputs: make([]psbtMap, len(tx.TxOut))}
}

// setWitnessUTXO records the output input i spends.
func (p *PSBT) setWitnessUTXO(i int, out *wire.TxOut) {
	var b bytes.Buffer
	binary.Write(&b, binary.LittleEndian, out.Value)
	wire.WriteVarBytes(&b, 0, out.PkScript)
	p.inputs[i].set([]byte{psbtInWitnessUTXO}, b.Bytes())
}

// origin encodes a key's BIP32 origin: the master fingerprint and the path.
func origin(fingerprint [4]byte, path []uint32) []byte {
	b := append([]byte(nil), fingerprint[:]...)
	for _, step := range path {
		b = binary.LittleEndian.AppendUint32(b, step)
	}
	return b
}

// setInputOrigin and setOutputOrigin record the BIP32 origin of pubkey, the key
// that signs input i or that output i pays.
func (p *PSBT) setInputOrigin(i int, pubkey []byte, fingerprint [4]byte, path []uint32) {
	p.inputs[i].set(append([]byte{psbtInBIP32}, pubkey...), origin(fingerprint, path))
}

func (p *PSBT) setOutputOrigin(i int, pubkey []byte, fingerprint [4]byte, path []uint32) {
	p.outputs[i].set(append([]byte{psbtOutBIP32}, pubkey...), origin(fingerprint, path))
}

// witnessFor returns the witness that signs input i with the key pubkey: the final
// witness if the signer finalised it, else [signature, pubkey] from its partial
// signature. ok is false when neither is there.
func (p *PSBT) witnessFor(i int, pubkey []byte) (wire.TxWitness, bool, error) {
	if v, ok := p.inputs[i].get([]byte{psbtInFinalWitness}); ok {
		w, err := readWitness(v)
		return w, true, err
	}
	if sig, ok := p.inputs[i].get(append([]byte{psbtInPartialSig}, pubkey...)); ok {
		return wire.TxWitness{sig, pubkey}, true, nil
	}
	return nil, false, nil
}

// Witness returns the witness that spends input i of a P2WPKH transaction: its final
// witness, else its one partial signature with its key. An input with neither, or
// with several partial signatures, is ErrBadPSBT.
func (p *PSBT) Witness(i int) (wire.TxWitness, error) {
	if i < 0 || i >= len(p.inputs) {
		return nil, fmt.Errorf("%w: no input %d", ErrBadPSBT, i)
	}
	if v, ok := p.inputs[i].get([]byte{psbtInFinalWitness}); ok {
		return readWitness(v)
	}
	var w wire.TxWitness
	for _, kv := range p.inputs[i] {
		if kv.key[0] == psbtInPartialSig {
			if w != nil {
				return nil, fmt.Errorf("%w: input %d has several signatures", ErrBadPSBT, i)
			}
			w = wire.TxWitness{kv.value, kv.key[1:]}
		}
	}
	if w == nil {
		return nil, fmt.Errorf("%w: input %d is not signed", ErrBadPSBT, i)
	}
	return w, nil
}

// Encode returns the PSBT's binary form (base64 of it is what wallets exchange).
func (p *PSBT) Encode() []byte {
	var b bytes.Buffer
	b.Write(psbtMagic)
	var tx bytes.Buffer
	p.Tx.SerializeNoWitness(&tx)
	writeKV(&b, []byte{psbtGlobalUnsignedTx}, tx.Bytes())
	writeMap(&b, p.global)
	for _, m := range p.inputs {
		writeMap(&b, m)
	}
	for _, m := range p.outputs {
		writeMap(&b, m)
	}
	return b.Bytes()
}

func writeKV(b *bytes.Buffer, key, value []byte) {
	wire.WriteVarBytes(b, 0, key)
	wire.WriteVarBytes(b, 0, value)
}

// writeMap writes m's pairs in key order, and the separator.
func writeMap(b *bytes.Buffer, m psbtMap) {
	sorted := slices.Clone(m)
	slices.SortFunc(sorted, func(x, y psbtKV) int { return bytes.Compare(x.key, y.key) })
	for _, kv := range sorted {
		writeKV(b, kv.key, kv.value)
	}
	b.WriteByte(0)
}

// DecodePSBT reads a PSBT in its binary form. It refuses, with ErrBadPSBT, what BIP
// 174 calls invalid: no magic, no unsigned transaction or one with signatures in it,
// a version other than 0, duplicate keys, known key types of the wrong length, maps
// missing for inputs or outputs, and bytes after the last map.
func DecodePSBT(data []byte) (*PSBT, error) {
	if len(data) > maxPSBT {
		return nil, fmt.Errorf("%w: longer than %d bytes", ErrBadPSBT, maxPSBT)
	}
	if !bytes.HasPrefix(data, psbtMagic) {
		return nil, fmt.Errorf("%w: no PSBT magic", ErrBadPSBT)
	}
	r := bytes.NewReader(data[len(psbtMagic):])
	global, err := readMap(r)
	if err != nil {
		return nil, fmt.Errorf("%w: global map: %v", ErrBadPSBT, err)
	}
	p := &PSBT{}
	for _, kv := range global {
		switch kv.key[0] {
		case psbtGlobalUnsignedTx:
			if len(kv.key) != 1 {
				return nil, fmt.Errorf("%w: unsigned transaction key of %d bytes", ErrBadPSBT, len(kv.key))
			}
			var tx wire.MsgTx
			vr := bytes.NewReader(kv.value)
			if err := tx.DeserializeNoWitness(vr); err != nil || vr.Len() != 0 {
				return nil, fmt.Errorf("%w: unsigned transaction: %v", ErrBadPSBT, err)
			}
			p.Tx = &tx
			continue
		case psbtGlobalVersion:
			if len(kv.key) != 1 || len(kv.value) != 4 || binary.LittleEndian.Uint32(kv.value) != 0 {
				return nil, fmt.Errorf("%w: only version 0 is read", ErrBadPSBT)
			}
		}
		p.global = append(p.global, kv)
	}
	if p.Tx == nil {
		return nil, fmt.Errorf("%w: no unsigned transaction", ErrBadPSBT)
	}
	for i, in := range p.Tx.TxIn {
		if len(in.SignatureScript) > 0 || len(in.Witness) > 0 {
			return nil, fmt.Errorf("%w: input %d of the unsigned transaction is signed", ErrBadPSBT, i)
		}
	}
	p.inputs = make([]psbtMap, len(p.Tx.TxIn))
	for i := range p.inputs {
		if p.inputs[i], err = readMap(r); err != nil {
			return nil, fmt.Errorf("%w: input %d: %v", ErrBadPSBT, i, err)
		}
		if err := checkInput(p.inputs[i]); err != nil {
			return nil, fmt.Errorf("%w: input %d: %v", ErrBadPSBT, i, err)
		}
	}
	p.outputs = make([]psbtMap, len(p.Tx.TxOut))
	for i := range p.outputs {
		if p.outputs[i], err = readMap(r); err != nil {
			return nil, fmt.Errorf("%w: output %d: %v", ErrBadPSBT, i, err)
		}
		for _, kv := range p.outputs[i] {
			switch kv.key[0] {
			case psbtOutRedeemScript, psbtOutWitnessScript:
				if len(kv.key) != 1 {
					return nil, fmt.Errorf("%w: output %d: key type %d of %d bytes", ErrBadPSBT, i, kv.key[0], len(kv.key))
				}
			case psbtOutBIP32:
				if err := checkOrigin(kv); err != nil {
					return nil, fmt.Errorf("%w: output %d: %v", ErrBadPSBT, i, err)
				}
			}
		}
	}
	if r.Len() != 0 {
		return nil, fmt.Errorf("%w: %d bytes after the last map", ErrBadPSBT, r.Len())
	}
	return p, nil
}

// checkInput checks the key lengths, and the values this codec reads, of an input map.
func checkInput(m psbtMap) error {
	for _, kv := range m {
		switch t := kv.key[0]; t {
		case psbtInNonWitnessUTXO, psbtInWitnessUTXO, psbtInSighashType, psbtInRedeemScript, psbtInWitnessScript,
			psbtInFinalScriptSig, psbtInFinalWitness:
			if len(kv.key) != 1 {
				return fmt.Errorf("key type %d of %d bytes", t, len(kv.key))
			}
			if t == psbtInSighashType && len(kv.value) != 4 {
				return fmt.Errorf("sighash type of %d bytes", len(kv.value))
			}
			if t == psbtInFinalWitness {
				if _, err := readWitness(kv.value); err != nil {
					return err
				}
			}
		case psbtInPartialSig:
			if !pubkeyKey(kv.key) {
				return fmt.Errorf("partial signature keyed by %d bytes", len(kv.key))
			}
		case psbtInBIP32:
			if err := checkOrigin(kv); err != nil {
				return err
			}
		}
	}
	return nil
}

// pubkeyKey reports whether a key is its type followed by a public key (compressed
// or not).
func pubkeyKey(key []byte) bool {
	return (len(key) == 34 && (key[1] == 2 || key[1] == 3)) || (len(key) == 66 && key[1] == 4)
}

func checkOrigin(kv psbtKV) error {
	if !pubkeyKey(kv.key) {
		return fmt.Errorf("BIP32 derivation keyed by %d bytes", len(kv.key))
	}
	if len(kv.value) < 4 || len(kv.value)%4 != 0 {
		return fmt.Errorf("BIP32 derivation of %d bytes", len(kv.value))
	}
	return nil
}

// readMap reads key-value pairs up to the separator, refusing duplicate keys.
func readMap(r *bytes.Reader) (psbtMap, error) {
	var m psbtMap
	for {
		key, err := wire.ReadVarBytes(r, 0, maxPSBT, "key")
		if err != nil {
			return nil, err
		}
		if len(key) == 0 {
			return m, nil
		}
		value, err := wire.ReadVarBytes(r, 0, maxPSBT, "value")
		if err != nil {
			return nil, err
		}
		if _, dup := m.get(key); dup {
			return nil, fmt.Errorf("duplicate key %x", key)
		}
		m = append(m, psbtKV{key, value})
	}
}

// readWitness reads a serialized witness stack.
func readWitness(v []byte) (wire.TxWitness, error) {
	r := bytes.NewReader(v)
	n, err := wire.ReadVarInt(r, 0)
	if err != nil {
		return nil, fmt.Errorf("final witness: %v", err)
	}
	if n > uint64(len(v)) {
		return nil, errors.New("final witness: more items than bytes")
	}
	w := make(wire.TxWitness, n)
	for i := range w {
		if w[i], err = wire.ReadVarBytes(r, 0, maxPSBT, "witness item"); err != nil {
			return nil, fmt.Errorf("final witness: %v", err)
		}
	}
	if r.Len() != 0 {
		return nil, io.ErrUnexpectedEOF
	}
	return w, nil
}
