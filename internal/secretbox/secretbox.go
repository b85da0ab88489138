// Package secretbox encrypts the secrets Kassa must store (webhook signing secrets, and
// later API key secrets) with AES-256-GCM under a key derived from the Gateway's master
// key with HKDF-SHA256, one derived key per purpose. The master key itself is never
// stored.
package secretbox

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
)

// Errors.
var (
	ErrKeySize = errors.New("master key must be 32 bytes")
	ErrOpen    = errors.New("secret cannot be decrypted (wrong master key or corrupt data)")
)

// Box seals and opens secrets for one purpose.
type Box struct{ aead cipher.AEAD }

// New derives the key for purpose from a 32-byte master key.
func New(master []byte, purpose string) (*Box, error) {
	if len(master) != 32 {
		return nil, fmt.Errorf("%w (got %d)", ErrKeySize, len(master))
	}
	key, err := hkdf.Key(sha256.New, master, nil, "kassa secretbox v1: "+purpose, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	return &Box{aead: aead}, nil
}

// Seal encrypts plaintext: a random nonce followed by the ciphertext. additional is
// authenticated data binding the secret to its owner (the endpoint id), so a sealed
// secret copied to another row does not open.
func (b *Box) Seal(plaintext, additional []byte) []byte {
	nonce := make([]byte, b.aead.NonceSize())
	rand.Read(nonce)
	return b.aead.Seal(nonce, nonce, plaintext, additional)
}

// Open decrypts what Seal produced with the same additional data.
func (b *Box) Open(sealed, additional []byte) ([]byte, error) {
	n := b.aead.NonceSize()
	if len(sealed) < n {
		return nil, ErrOpen
	}
	out, err := b.aead.Open(nil, sealed[:n], sealed[n:], additional)
	if err != nil {
		return nil, ErrOpen
	}
	return out, nil
}
