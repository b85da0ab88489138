package bitcoin

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"testing"

	"github.com/btcsuite/btcd/wire/v2"
)

// TestPSBT_BIP174Vectors: every valid PSBT of BIP 174's test vectors decodes, and
// encodes to bytes that decode to the same maps; every invalid one is refused with
// ErrBadPSBT (the reasons are the BIP's: wire format instead of PSBT, missing
// outputs, a signed unsigned transaction, duplicate keys, known key types of the
// wrong length).
func TestPSBT_BIP174Vectors(t *testing.T) {
	raw, err := os.ReadFile("testdata/bip174.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Valid   []string `json:"valid"`
		Invalid []struct {
			Note string `json:"note"`
			PSBT string `json:"psbt"`
		} `json:"invalid"`
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Valid) < 8 || len(v.Invalid) < 18 {
		t.Fatalf("%d valid and %d invalid vectors", len(v.Valid), len(v.Invalid))
	}
	for i, h := range v.Valid {
		b, _ := hex.DecodeString(h)
		p, err := DecodePSBT(b)
		if err != nil {
			t.Errorf("valid vector %d: %v", i, err)
			continue
		}
		again, err := DecodePSBT(p.Encode())
		if err != nil {
			t.Errorf("valid vector %d encoded again: %v", i, err)
			continue
		}
		if !bytes.Equal(again.Encode(), p.Encode()) || again.Tx.TxHash() != p.Tx.TxHash() {
			t.Errorf("valid vector %d does not survive a round trip", i)
		}
	}
	for i, c := range v.Invalid {
		b, _ := hex.DecodeString(c.PSBT)
		if _, err := DecodePSBT(b); !errors.Is(err, ErrBadPSBT) {
			t.Errorf("invalid vector %d (%s): %v, want ErrBadPSBT", i, c.Note, err)
		}
	}
}

// TestPSBT_WitnessFor: a signer's partial signature, or its final witness, is found
// for the input's key; another key's is not.
func TestPSBT_WitnessFor(t *testing.T) {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 2}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(5000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))
	p := newPSBT(tx)
	key := append([]byte{2}, bytes.Repeat([]byte{7}, 32)...)
	other := append([]byte{3}, bytes.Repeat([]byte{7}, 32)...)
	p.setWitnessUTXO(0, wire.NewTxOut(9000, []byte{0x00, 0x14}))
	p.setInputOrigin(0, key, [4]byte{1, 2, 3, 4}, []uint32{0x80000054, 0x80000001, 0x80000000, 0, 3})
	p.inputs[0].set(append([]byte{psbtInPartialSig}, key...), []byte{0x30, 0x01})
	var wit bytes.Buffer
	wire.WriteVarInt(&wit, 0, 2)
	wire.WriteVarBytes(&wit, 0, []byte{0xaa})
	wire.WriteVarBytes(&wit, 0, other)
	p.inputs[1].set([]byte{psbtInFinalWitness}, wit.Bytes())
	q, err := DecodePSBT(p.Encode())
	if err != nil {
		t.Fatal(err)
	}
	if w, ok, err := q.witnessFor(0, key); err != nil || !ok || !bytes.Equal(w[0], []byte{0x30, 0x01}) || !bytes.Equal(w[1], key) {
		t.Errorf("input 0: %x %v %v", w, ok, err)
	}
	if _, ok, _ := q.witnessFor(0, other); ok {
		t.Error("input 0 has a signature by a key that did not sign it")
	}
	if w, ok, err := q.witnessFor(1, key); err != nil || !ok || len(w) != 2 || !bytes.Equal(w[1], other) {
		t.Errorf("input 1's final witness: %x %v %v", w, ok, err)
	}
}

// FuzzDecodePSBT: no input makes DecodePSBT panic, and what it accepts encodes to
// bytes it accepts again, unchanged.
func FuzzDecodePSBT(f *testing.F) {
	raw, _ := os.ReadFile("testdata/bip174.json")
	var v struct {
		Valid []string `json:"valid"`
	}
	json.Unmarshal(raw, &v)
	for _, h := range v.Valid {
		b, _ := hex.DecodeString(h)
		f.Add(b)
	}
	f.Add([]byte("psbt\xff"))
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := DecodePSBT(b)
		if err != nil {
			if !errors.Is(err, ErrBadPSBT) {
				t.Fatalf("error without ErrBadPSBT: %v", err)
			}
			return
		}
		enc := p.Encode()
		q, err := DecodePSBT(enc)
		if err != nil {
			t.Fatalf("re-encoded PSBT refused: %v", err)
		}
		if !bytes.Equal(q.Encode(), enc) {
			t.Fatal("encoding is not stable")
		}
	})
}
