package tron

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/address/v2/base58"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/kassapay/kassa/chains"
	"golang.org/x/crypto/sha3"
)

// Version is the byte that opens every Tron address (0x41: "T..." in base58check).
const Version = 0x41

// Address is an account or contract address: the version byte and the 20 bytes an
// EVM address would have.
type Address [21]byte

// Address errors; each wraps chains.ErrInvalidAddress.
var (
	ErrAddressChecksum = fmt.Errorf("%w: bad checksum", chains.ErrInvalidAddress)
	ErrAddressVersion  = fmt.Errorf("%w: not a Tron address (version byte)", chains.ErrInvalidAddress)
	ErrAddressLength   = fmt.Errorf("%w: a Tron address has 21 bytes", chains.ErrInvalidAddress)
)

// ParseAddress reads an address in base58check (T...) or in hex (41 followed by 40
// hex digits, as the node's API writes it).
func ParseAddress(s string) (Address, error) {
	var a Address
	if len(s) == 42 && strings.HasPrefix(s, "41") {
		b, err := hex.DecodeString(s)
		if err != nil {
			return a, fmt.Errorf("%w: %v", chains.ErrInvalidAddress, err)
		}
		copy(a[:], b)
		return a, nil
	}
	payload, version, err := base58.CheckDecode(s)
	switch {
	case errors.Is(err, base58.ErrChecksum):
		return a, ErrAddressChecksum
	case err != nil:
		return a, fmt.Errorf("%w: %v", chains.ErrInvalidAddress, err)
	case version != Version:
		return a, ErrAddressVersion
	case len(payload) != 20:
		return a, ErrAddressLength
	}
	a[0] = Version
	copy(a[1:], payload)
	return a, nil
}

// AddressFromEVM is the Tron address of 20 EVM-style address bytes (a TRC20
// transfer's recipient as the call data and logs carry it).
func AddressFromEVM(b [20]byte) Address {
	var a Address
	a[0] = Version
	copy(a[1:], b[:])
	return a
}

// String is the base58check form, T...
func (a Address) String() string { return base58.CheckEncode(a[1:], a[0]) }

// Hex is the form the node's API writes: 41 and 40 hex digits.
func (a Address) Hex() string { return hex.EncodeToString(a[:]) }

// EVM is the 20 bytes without the version, as ABI arguments and logs carry them.
func (a Address) EVM() [20]byte { return [20]byte(a[1:]) }

// AddressOf is the address of a public key: 0x41 and the last 20 bytes of the
// Keccak-256 of its uncompressed form.
func AddressOf(pub *btcec.PublicKey) Address {
	h := sha3.NewLegacyKeccak256()
	h.Write(pub.SerializeUncompressed()[1:])
	return AddressFromEVM([20]byte(h.Sum(nil)[12:]))
}
