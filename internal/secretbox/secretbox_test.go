package secretbox_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/kassapay/kassa/internal/secretbox"
)

func TestBox_SealOpen(t *testing.T) {
	master := bytes.Repeat([]byte{7}, 32)
	b, err := secretbox.New(master, "webhook")
	if err != nil {
		t.Fatal(err)
	}
	sealed := b.Seal([]byte("whsec_abc"), []byte("we_1"))
	if bytes.Contains(sealed, []byte("whsec_abc")) {
		t.Fatal("plaintext visible in the sealed box")
	}
	got, err := b.Open(sealed, []byte("we_1"))
	if err != nil || string(got) != "whsec_abc" {
		t.Fatalf("open: %q, %v", got, err)
	}
	if _, err := b.Open(sealed, []byte("we_2")); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatal("a secret opened for another owner")
	}
	other, _ := secretbox.New(bytes.Repeat([]byte{8}, 32), "webhook")
	if _, err := other.Open(sealed, []byte("we_1")); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatal("another master key opened it")
	}
	purpose, _ := secretbox.New(master, "apikey")
	if _, err := purpose.Open(sealed, []byte("we_1")); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatal("another purpose's key opened it")
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := b.Open(sealed, []byte("we_1")); !errors.Is(err, secretbox.ErrOpen) {
		t.Fatal("tampered ciphertext opened")
	}
	if _, err := secretbox.New(master[:31], "x"); !errors.Is(err, secretbox.ErrKeySize) {
		t.Fatal("short master key accepted")
	}
}
