package bitcoin

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil/v2/hdkeychain"
	"github.com/btcsuite/btcd/txscript/v2"
	"github.com/btcsuite/btcd/wire/v2"
	"github.com/kassapay/kassa/asset"
	"github.com/kassapay/kassa/chains"
	"github.com/kassapay/kassa/keys"
)

// unsignedPSBT is the PSBT of msg for an external signer: each input with the output
// it spends (witness UTXO) and its key's BIP32 origin, the change output with its
// key's origin, so that a hardware wallet recognises its own inputs and change.
func (w *Wallet) unsignedPSBT(msg *wire.MsgTx, sel []Output, prev txscript.PrevOutputFetcher, change keys.Address, changeIndex uint32) ([]byte, error) {
	p := newPSBT(msg)
	for i, u := range sel {
		p.setWitnessUTXO(i, prev.FetchPrevOutput(msg.TxIn[i].PreviousOutPoint))
		fp, path, err := w.cfg.Keyring.Derivation(u.Address)
		if err != nil {
			return nil, err
		}
		p.setInputOrigin(i, u.Address.PubKey, fp, path)
	}
	if change.Encoded != "" {
		fp, path, err := w.cfg.Keyring.Derivation(change)
		if err != nil {
			return nil, err
		}
		p.setOutputOrigin(int(changeIndex), change.PubKey, fp, path)
	}
	return p.Encode(), nil
}

// SubmitSigned takes back the PSBT of the send stored under id, signed by an
// external signer, and broadcasts the transaction: the PSBT's unsigned transaction
// must be the one stored (the same inputs, outputs, amounts and so fee: a signer
// cannot change what the payout pays), and each input must carry a signature
// (partial, or a final witness) by our key for it, SIGHASH_ALL, that verifies against
// the output it spends as we know it (not as the PSBT says). Anything else is
// ErrBadPSBT and changes nothing. Submitting again after it was accepted broadcasts
// the stored transaction again.
func (w *Wallet) SubmitSigned(ctx context.Context, id string, signed []byte) (chains.SentTx, error) {
	var s Sent
	var inputs []Output
	var found bool
	if err := w.cfg.View(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		var err error
		if s, found, err = tx.SendByID(ctx, w.net, id); err != nil || !found {
			return err
		}
		inputs, err = tx.InputsOf(ctx, w.net, w.family, s.TxID)
		return err
	}); err != nil {
		return chains.SentTx{}, err
	}
	if !found {
		return chains.SentTx{}, fmt.Errorf("%w: no send %q", ErrBadSpec, id)
	}
	if s.Status != chains.SendUnsigned {
		if s.Status == SendFailed || s.Status == chains.SendReplaced {
			return chains.SentTx{}, fmt.Errorf("%w: send %s is %s", ErrRejected, id, s.Status)
		}
		return w.broadcast(ctx, s) // signed already: the stored transaction
	}
	final, err := w.checkSigned(s, inputs, signed)
	if err != nil {
		return chains.SentTx{}, err
	}
	var raw bytes.Buffer
	if err := final.Serialize(&raw); err != nil {
		return chains.SentTx{}, err
	}
	follow := chains.Sent{TxID: s.TxID}
	for _, in := range final.TxIn {
		follow.Inputs = append(follow.Inputs, chains.OutPoint{TxID: in.PreviousOutPoint.Hash.String(), Index: in.PreviousOutPoint.Index})
	}
	if err := w.cfg.Update(ctx, func(ctx context.Context, tx chains.WalletTx) error {
		if err := tx.SignSend(ctx, w.net, id, raw.Bytes()); err != nil {
			return err
		}
		return tx.FollowTx(ctx, w.net, follow)
	}); err != nil {
		return chains.SentTx{}, err
	}
	w.cfg.Follow(follow)
	s.Raw, s.Status = raw.Bytes(), SendSigned
	return w.broadcast(ctx, s)
}

// checkSigned returns the signed transaction of s that the PSBT signed carries, or
// ErrBadPSBT saying what does not match.
func (w *Wallet) checkSigned(s Sent, inputs []Output, signed []byte) (*wire.MsgTx, error) {
	p, err := DecodePSBT(signed)
	if err != nil {
		return nil, err
	}
	ours, err := DecodePSBT(s.Raw)
	if err != nil {
		return nil, fmt.Errorf("bitcoin: stored PSBT of %s: %w", s.SpecID, err)
	}
	if err := sameTx(ours.Tx, p.Tx); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBadPSBT, err)
	}
	msg := ours.Tx.Copy()
	prev := txscript.NewMultiPrevOutFetcher(nil)
	byOut := map[wire.OutPoint]Output{}
	for _, u := range inputs {
		for _, in := range msg.TxIn {
			if in.PreviousOutPoint.Hash.String() == u.TxID && in.PreviousOutPoint.Index == u.Index {
				byOut[in.PreviousOutPoint] = u
				script, err := AddressScript(u.Address.Encoded, w.cfg.Backend.params)
				if err != nil {
					return nil, err
				}
				prev.AddPrevOut(in.PreviousOutPoint, wire.NewTxOut(u.Amount, script))
			}
		}
	}
	if len(byOut) != len(msg.TxIn) {
		return nil, fmt.Errorf("bitcoin: send %s spends %d inputs, %d known", s.SpecID, len(msg.TxIn), len(byOut))
	}
	for i, in := range msg.TxIn {
		u := byOut[in.PreviousOutPoint]
		wit, ok, err := p.witnessFor(i, u.Address.PubKey)
		if err != nil {
			return nil, fmt.Errorf("%w: input %d: %v", ErrBadPSBT, i, err)
		}
		if !ok {
			return nil, fmt.Errorf("%w: input %d is not signed by its key", ErrBadPSBT, i)
		}
		if len(wit) != 2 || len(wit[0]) == 0 || txscript.SigHashType(wit[0][len(wit[0])-1]) != txscript.SigHashAll {
			return nil, fmt.Errorf("%w: input %d: want one SIGHASH_ALL signature and its key", ErrBadPSBT, i)
		}
		in.Witness = wit
	}
	hashes := txscript.NewTxSigHashes(msg, prev)
	for i, in := range msg.TxIn {
		u := byOut[in.PreviousOutPoint]
		pk := prev.FetchPrevOutput(in.PreviousOutPoint)
		vm, err := txscript.NewEngine(pk.PkScript, msg, i, txscript.StandardVerifyFlags, nil, hashes, u.Amount, prev)
		if err == nil {
			err = vm.Execute()
		}
		if err != nil {
			return nil, fmt.Errorf("%w: input %d: the signature does not verify: %v", ErrBadPSBT, i, err)
		}
	}
	return msg, nil
}

// sameTx says how got differs from want, the unsigned transaction we built.
func sameTx(want, got *wire.MsgTx) error {
	if len(got.TxOut) != len(want.TxOut) {
		return fmt.Errorf("it has %d outputs, the payout's transaction %d", len(got.TxOut), len(want.TxOut))
	}
	for i, o := range want.TxOut {
		if got.TxOut[i].Value != o.Value {
			return fmt.Errorf("output %d pays %d sat, the payout's transaction %d", i, got.TxOut[i].Value, o.Value)
		}
		if !bytes.Equal(got.TxOut[i].PkScript, o.PkScript) {
			return fmt.Errorf("output %d pays another script than the payout's transaction", i)
		}
	}
	if len(got.TxIn) != len(want.TxIn) {
		return fmt.Errorf("it has %d inputs, the payout's transaction %d", len(got.TxIn), len(want.TxIn))
	}
	for i, in := range want.TxIn {
		if got.TxIn[i].PreviousOutPoint != in.PreviousOutPoint || got.TxIn[i].Sequence != in.Sequence {
			return fmt.Errorf("input %d differs from the payout's transaction", i)
		}
	}
	if got.Version != want.Version || got.LockTime != want.LockTime {
		return errors.New("its version or lock time differs from the payout's transaction")
	}
	return nil
}

// SignPSBT signs, with keyring k, every input of a PSBT whose BIP32 origin names k's
// master fingerprint and a BIP 84 path of k's (m/84'/coin'/0'/branch/index), adding
// a partial signature (SIGHASH_ALL) for each: a software signer for an offline
// machine that holds the mnemonic, working from the PSBT alone (its witness UTXOs
// and origins), as a hardware wallet does. Inputs of other keys are left alone. It
// refuses a PSBT whose origin key does not match the key k derives at its path.
func SignPSBT(psbt []byte, k *keys.Keyring) ([]byte, error) {
	p, err := DecodePSBT(psbt)
	if err != nil {
		return nil, err
	}
	prev := txscript.NewMultiPrevOutFetcher(nil)
	utxos := make([]*wire.TxOut, len(p.Tx.TxIn))
	for i, in := range p.Tx.TxIn {
		v, ok := p.inputs[i].get([]byte{psbtInWitnessUTXO})
		if !ok {
			return nil, fmt.Errorf("%w: input %d has no witness UTXO", ErrBadPSBT, i)
		}
		r := bytes.NewReader(v)
		var amount int64
		if err := binary.Read(r, binary.LittleEndian, &amount); err != nil {
			return nil, fmt.Errorf("%w: input %d: witness UTXO: %v", ErrBadPSBT, i, err)
		}
		script, err := wire.ReadVarBytes(r, 0, maxPSBT, "script")
		if err != nil || r.Len() != 0 {
			return nil, fmt.Errorf("%w: input %d: witness UTXO script", ErrBadPSBT, i)
		}
		utxos[i] = wire.NewTxOut(amount, script)
		prev.AddPrevOut(in.PreviousOutPoint, utxos[i])
	}
	hashes := txscript.NewTxSigHashes(p.Tx, prev)
	const h = hdkeychain.HardenedKeyStart
	for i := range p.Tx.TxIn {
		for _, kv := range p.inputs[i] {
			if kv.key[0] != psbtInBIP32 {
				continue
			}
			pub := kv.key[1:]
			fp, path := [4]byte(kv.value[:4]), kv.value[4:]
			if len(path) != 5*4 || binary.LittleEndian.Uint32(path) != h+84 || binary.LittleEndian.Uint32(path[8:]) != h {
				continue
			}
			mode := asset.Live
			if binary.LittleEndian.Uint32(path[4:]) == h+1 {
				mode = asset.Test
			}
			branch, index := keys.Branch(binary.LittleEndian.Uint32(path[12:])), binary.LittleEndian.Uint32(path[16:])
			a, err := k.Address(asset.FamilyBTC, mode, branch, index)
			if err != nil {
				continue
			}
			if ours, _, _ := k.Derivation(a); ours != fp {
				continue // another wallet's key
			}
			if !bytes.Equal(a.PubKey, pub) {
				return nil, fmt.Errorf("%w: input %d: the key at %s is not the one the PSBT names", ErrBadPSBT, i, a.Path())
			}
			key, err := k.SigningKey(asset.FamilyBTC, mode, branch, index)
			if err != nil {
				return nil, err
			}
			sig, err := txscript.RawTxInWitnessSignature(p.Tx, hashes, i, utxos[i].Value, utxos[i].PkScript, txscript.SigHashAll, key)
			if err != nil {
				return nil, err
			}
			p.inputs[i].set(append([]byte{psbtInPartialSig}, pub...), sig)
		}
	}
	return p.Encode(), nil
}
