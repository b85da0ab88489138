package tron

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
	"golang.org/x/crypto/sha3"
	"google.golang.org/protobuf/encoding/protowire"
)

// ContractType is Transaction.Contract.ContractType of Tron.proto.
type ContractType int32

// The contract types Kassa builds.
const (
	TransferContract     ContractType = 1
	TriggerSmartContract ContractType = 31
)

func (t ContractType) String() string {
	switch t {
	case TransferContract:
		return "TransferContract"
	case TriggerSmartContract:
		return "TriggerSmartContract"
	}
	return fmt.Sprintf("ContractType(%d)", int32(t))
}

// typeURL is the google.protobuf.Any type of each contract's parameter.
func (t ContractType) typeURL() string { return "type.googleapis.com/protocol." + t.String() }

// ErrBadTransaction is returned for raw_data that is malformed, or that carries what
// Kassa does not build (another contract type, several contracts, fields it does not
// know): a node-built transaction must be exactly what was asked before it is signed.
var ErrBadTransaction = errors.New("tron: invalid transaction")

// Raw is a transaction's raw_data as Kassa builds it: one TransferContract (TRX) or
// one TriggerSmartContract (a TRC20 call).
type Raw struct {
	// RefBlockBytes and RefBlockHash name a recent block (RefBlock): the transaction
	// is valid only on the chain that has it.
	RefBlockBytes [2]byte
	RefBlockHash  [8]byte
	Expiration    int64 // milliseconds since 1970
	Timestamp     int64 // milliseconds since 1970
	FeeLimit      int64 // sun; the most a TriggerSmartContract may burn for energy
	Type          ContractType
	Owner         Address // who signs and pays
	// To is the recipient (TransferContract) or the contract called
	// (TriggerSmartContract).
	To     Address
	Amount int64  // sun sent (TransferContract amount, TriggerSmartContract call_value)
	Data   []byte // the call's data (TriggerSmartContract)
}

// RefBlock is what a transaction names of a recent block (number, 32-byte block id):
// bytes 6..8 of the number, big-endian, and bytes 8..16 of the id.
func RefBlock(number int64, blockID [32]byte) (refBytes [2]byte, refHash [8]byte) {
	refBytes = [2]byte{byte(number >> 8), byte(number)}
	copy(refHash[:], blockID[8:16])
	return refBytes, refHash
}

// Field numbers of Tron.proto and smart_contract.proto / balance_contract.proto.
const (
	rawRefBlockBytes = 1
	rawRefBlockHash  = 4
	rawExpiration    = 8
	rawContract      = 11
	rawTimestamp     = 14
	rawFeeLimit      = 18

	contractType      = 1
	contractParameter = 2
	anyTypeURL        = 1
	anyValue          = 2

	paramOwner     = 1
	paramTo        = 2 // to_address, contract_address
	paramAmount    = 3 // amount, call_value
	paramTriggerOn = 4 // data
)

// Marshal encodes raw as protobuf, fields in number order and zero values left out,
// as java-tron and tronweb write it (its SHA-256 is the transaction id).
func (r Raw) Marshal() ([]byte, error) {
	if r.Type != TransferContract && r.Type != TriggerSmartContract {
		return nil, fmt.Errorf("%w: contract type %d", ErrBadTransaction, r.Type)
	}
	if r.Amount < 0 || r.FeeLimit < 0 || r.Expiration <= 0 || r.Timestamp < 0 {
		return nil, fmt.Errorf("%w: negative amount, fee limit or time", ErrBadTransaction)
	}
	if r.Owner[0] != Version || r.To[0] != Version {
		return nil, fmt.Errorf("%w: address without the 0x41 version", ErrBadTransaction)
	}
	var param []byte
	param = protowire.AppendTag(param, paramOwner, protowire.BytesType)
	param = protowire.AppendBytes(param, r.Owner[:])
	param = protowire.AppendTag(param, paramTo, protowire.BytesType)
	param = protowire.AppendBytes(param, r.To[:])
	if r.Amount != 0 {
		param = protowire.AppendTag(param, paramAmount, protowire.VarintType)
		param = protowire.AppendVarint(param, uint64(r.Amount))
	}
	if r.Type == TriggerSmartContract && len(r.Data) > 0 {
		param = protowire.AppendTag(param, paramTriggerOn, protowire.BytesType)
		param = protowire.AppendBytes(param, r.Data)
	} else if len(r.Data) > 0 {
		return nil, fmt.Errorf("%w: a TRX transfer carries no call data", ErrBadTransaction)
	}
	var anyMsg []byte
	anyMsg = protowire.AppendTag(anyMsg, anyTypeURL, protowire.BytesType)
	anyMsg = protowire.AppendString(anyMsg, r.Type.typeURL())
	anyMsg = protowire.AppendTag(anyMsg, anyValue, protowire.BytesType)
	anyMsg = protowire.AppendBytes(anyMsg, param)
	var contract []byte
	contract = protowire.AppendTag(contract, contractType, protowire.VarintType)
	contract = protowire.AppendVarint(contract, uint64(r.Type))
	contract = protowire.AppendTag(contract, contractParameter, protowire.BytesType)
	contract = protowire.AppendBytes(contract, anyMsg)

	var b []byte
	b = protowire.AppendTag(b, rawRefBlockBytes, protowire.BytesType)
	b = protowire.AppendBytes(b, r.RefBlockBytes[:])
	b = protowire.AppendTag(b, rawRefBlockHash, protowire.BytesType)
	b = protowire.AppendBytes(b, r.RefBlockHash[:])
	b = protowire.AppendTag(b, rawExpiration, protowire.VarintType)
	b = protowire.AppendVarint(b, uint64(r.Expiration))
	b = protowire.AppendTag(b, rawContract, protowire.BytesType)
	b = protowire.AppendBytes(b, contract)
	if r.Timestamp != 0 {
		b = protowire.AppendTag(b, rawTimestamp, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.Timestamp))
	}
	if r.FeeLimit != 0 {
		b = protowire.AppendTag(b, rawFeeLimit, protowire.VarintType)
		b = protowire.AppendVarint(b, uint64(r.FeeLimit))
	}
	return b, nil
}

// field is one field read from a message.
type field struct {
	num protowire.Number
	typ protowire.Type
	v   uint64 // varint fields
	b   []byte // bytes fields
}

// fields reads a message's fields, refusing malformed input, groups and fixed-width
// fields (none of the messages read here has them) and numbers outside allowed.
func fields(b []byte, allowed ...protowire.Number) ([]field, error) {
	var out []field
	seen := map[protowire.Number]bool{}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		ok := false
		for _, a := range allowed {
			ok = ok || a == num
		}
		if !ok {
			return nil, fmt.Errorf("field %d is not one Kassa builds", num)
		}
		if seen[num] {
			return nil, fmt.Errorf("field %d twice", num)
		}
		seen[num] = true
		f := field{num: num, typ: typ}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			f.b, n = protowire.ConsumeBytes(b)
		default:
			return nil, fmt.Errorf("field %d has wire type %d", num, typ)
		}
		if n < 0 {
			return nil, protowire.ParseError(n)
		}
		b = b[n:]
		out = append(out, f)
	}
	return out, nil
}

// UnmarshalRaw decodes raw_data as Marshal writes it, strictly: one contract of a
// type Kassa builds, known fields only, each with its wire type, and Marshal of the
// result giving the same bytes back.
func UnmarshalRaw(b []byte) (Raw, error) {
	r, err := unmarshalRaw(b)
	if err != nil {
		return Raw{}, fmt.Errorf("%w: %v", ErrBadTransaction, err)
	}
	again, err := r.Marshal()
	if err != nil {
		return Raw{}, err
	}
	if !bytes.Equal(again, b) {
		return Raw{}, fmt.Errorf("%w: not in the canonical encoding", ErrBadTransaction)
	}
	return r, nil
}

func unmarshalRaw(b []byte) (Raw, error) {
	var r Raw
	fs, err := fields(b, rawRefBlockBytes, rawRefBlockHash, rawExpiration, rawContract, rawTimestamp, rawFeeLimit)
	if err != nil {
		return r, err
	}
	var contract []byte
	for _, f := range fs {
		if want := wireType(f.num == rawRefBlockBytes || f.num == rawRefBlockHash || f.num == rawContract); f.typ != want {
			return r, fmt.Errorf("field %d has the wrong wire type", f.num)
		}
		switch f.num {
		case rawRefBlockBytes:
			if len(f.b) != 2 {
				return r, fmt.Errorf("ref_block_bytes of %d bytes", len(f.b))
			}
			r.RefBlockBytes = [2]byte(f.b)
		case rawRefBlockHash:
			if len(f.b) != 8 {
				return r, fmt.Errorf("ref_block_hash of %d bytes", len(f.b))
			}
			r.RefBlockHash = [8]byte(f.b)
		case rawExpiration:
			r.Expiration = int64(f.v)
		case rawTimestamp:
			r.Timestamp = int64(f.v)
		case rawFeeLimit:
			r.FeeLimit = int64(f.v)
		case rawContract:
			contract = f.b
		}
	}
	if contract == nil {
		return r, errors.New("no contract")
	}
	cs, err := fields(contract, contractType, contractParameter)
	if err != nil {
		return r, fmt.Errorf("contract: %v", err)
	}
	var anyMsg []byte
	for _, f := range cs {
		if f.num == contractType && f.typ == protowire.VarintType {
			r.Type = ContractType(f.v)
		} else if f.num == contractParameter && f.typ == protowire.BytesType {
			anyMsg = f.b
		} else {
			return r, fmt.Errorf("contract field %d has the wrong wire type", f.num)
		}
	}
	if r.Type != TransferContract && r.Type != TriggerSmartContract {
		return r, fmt.Errorf("contract type %d", r.Type)
	}
	as, err := fields(anyMsg, anyTypeURL, anyValue)
	if err != nil {
		return r, fmt.Errorf("contract parameter: %v", err)
	}
	var param []byte
	for _, f := range as {
		if f.typ != protowire.BytesType {
			return r, errors.New("contract parameter: wrong wire type")
		}
		if f.num == anyTypeURL && string(f.b) != r.Type.typeURL() {
			return r, fmt.Errorf("parameter type %q for a %s", f.b, r.Type)
		}
		if f.num == anyValue {
			param = f.b
		}
	}
	allowed := []protowire.Number{paramOwner, paramTo, paramAmount}
	if r.Type == TriggerSmartContract {
		allowed = append(allowed, paramTriggerOn)
	}
	ps, err := fields(param, allowed...)
	if err != nil {
		return r, fmt.Errorf("%s: %v", r.Type, err)
	}
	for _, f := range ps {
		if f.typ != wireType(f.num != paramAmount) {
			return r, fmt.Errorf("%s field %d has the wrong wire type", r.Type, f.num)
		}
		switch f.num {
		case paramOwner, paramTo:
			if len(f.b) != 21 || f.b[0] != Version {
				return r, fmt.Errorf("%s: an address of %d bytes", r.Type, len(f.b))
			}
			if f.num == paramOwner {
				r.Owner = Address(f.b)
			} else {
				r.To = Address(f.b)
			}
		case paramAmount:
			r.Amount = int64(f.v)
		case paramTriggerOn:
			r.Data = f.b
		}
	}
	return r, nil
}

// wireType is BytesType when bytes is set, else VarintType.
func wireType(bytes bool) protowire.Type {
	if bytes {
		return protowire.BytesType
	}
	return protowire.VarintType
}

// TxID is a transaction's id: the SHA-256 of its raw_data.
func TxID(raw []byte) [32]byte { return sha256.Sum256(raw) }

// transferSelector is the first 4 bytes of keccak256("transfer(address,uint256)").
var transferSelector = func() []byte {
	h := sha3.NewLegacyKeccak256()
	h.Write([]byte("transfer(address,uint256)"))
	return h.Sum(nil)[:4]
}()

// TransferData is the call data of a TRC20 transfer(to, amount): the selector, then
// the recipient's 20 bytes and the amount, each padded to 32 bytes.
func TransferData(to Address, amount *big.Int) ([]byte, error) {
	if amount == nil || amount.Sign() <= 0 || amount.BitLen() > 256 {
		return nil, fmt.Errorf("%w: a TRC20 amount must be positive and fit 256 bits", ErrBadTransaction)
	}
	data := make([]byte, 4+64)
	copy(data, transferSelector)
	evm := to.EVM()
	copy(data[4+12:], evm[:])
	amount.FillBytes(data[4+32:])
	return data, nil
}

// ParseTransferData reads the recipient and amount of TRC20 transfer call data, and
// refuses any other call.
func ParseTransferData(data []byte) (Address, *big.Int, error) {
	if len(data) != 4+64 || !bytes.Equal(data[:4], transferSelector) || !bytes.Equal(data[4:16], make([]byte, 12)) {
		return Address{}, nil, fmt.Errorf("%w: not a transfer(address,uint256) call", ErrBadTransaction)
	}
	return AddressFromEVM([20]byte(data[16:36])), new(big.Int).SetBytes(data[36:]), nil
}

// Sign signs a transaction id with key: 65 bytes r || s || v (v = 0 or 1), what
// java-tron reads from Transaction.signature.
func Sign(txid [32]byte, key *btcec.PrivateKey) []byte {
	compact := ecdsa.SignCompact(key, txid[:], false) // [27+v][r][s]
	return append(compact[1:], compact[0]-27)
}

// Signer recovers the address whose key made sig over txid.
func Signer(txid [32]byte, sig []byte) (Address, error) {
	if len(sig) != 65 || sig[64] > 3 {
		return Address{}, fmt.Errorf("%w: a signature has 65 bytes ending in 0..3", ErrBadTransaction)
	}
	compact := append([]byte{sig[64] + 27}, sig[:64]...)
	pub, _, err := ecdsa.RecoverCompact(compact, txid[:])
	if err != nil {
		return Address{}, fmt.Errorf("%w: %v", ErrBadTransaction, err)
	}
	return AddressOf(pub), nil
}

// ErrNodeMismatch is returned by CheckNodeBuilt for a transaction a node built that
// is not the one asked for: another recipient, amount, token call or signer, a fee
// limit above the bound, an id that is not its raw_data's.
var ErrNodeMismatch = errors.New("tron: the node built another transaction than the one asked for")

// CheckNodeBuilt checks a transaction a node built for us (wallet/createtransaction,
// wallet/triggersmartcontract) before it is signed, since an untrusted node could
// swap the recipient: txID must be the SHA-256 of rawHex, which must decode strictly
// (UnmarshalRaw) to want's contract type, owner, recipient or contract, amount and
// call data, with a fee limit at most maxFeeLimit. The block reference, expiration and
// timestamp are the node's. It returns the decoded raw_data.
func CheckNodeBuilt(rawHex, txID string, want Raw, maxFeeLimit int64) (Raw, error) {
	raw, err := hex.DecodeString(rawHex)
	if err != nil {
		return Raw{}, fmt.Errorf("%w: raw_data_hex: %v", ErrBadTransaction, err)
	}
	id := TxID(raw)
	if hex.EncodeToString(id[:]) != strings.ToLower(txID) {
		return Raw{}, fmt.Errorf("%w: txID %s is not the SHA-256 of raw_data (%x)", ErrNodeMismatch, txID, id)
	}
	got, err := UnmarshalRaw(raw)
	if err != nil {
		return Raw{}, err
	}
	switch {
	case got.Type != want.Type:
		return got, fmt.Errorf("%w: a %s, not a %s", ErrNodeMismatch, got.Type, want.Type)
	case got.Owner != want.Owner:
		return got, fmt.Errorf("%w: signer %s, not %s", ErrNodeMismatch, got.Owner, want.Owner)
	case got.To != want.To:
		return got, fmt.Errorf("%w: pays %s, not %s", ErrNodeMismatch, got.To, want.To)
	case got.Amount != want.Amount:
		return got, fmt.Errorf("%w: amount %d, not %d", ErrNodeMismatch, got.Amount, want.Amount)
	case !bytes.Equal(got.Data, want.Data):
		return got, fmt.Errorf("%w: call data %x, not %x", ErrNodeMismatch, got.Data, want.Data)
	case got.FeeLimit > maxFeeLimit:
		return got, fmt.Errorf("%w: fee limit %d sun, above %d", ErrNodeMismatch, got.FeeLimit, maxFeeLimit)
	}
	return got, nil
}

// Field numbers of Transaction (Tron.proto).
const (
	txRawData   = 1
	txSignature = 2
)

// Signed encodes a signed transaction (Transaction: raw_data and its signature), the
// bytes wallet/broadcasthex takes and Kassa stores before it broadcasts.
func Signed(raw, sig []byte) []byte {
	var b []byte
	b = protowire.AppendTag(b, txRawData, protowire.BytesType)
	b = protowire.AppendBytes(b, raw)
	b = protowire.AppendTag(b, txSignature, protowire.BytesType)
	return protowire.AppendBytes(b, sig)
}

// ParseSigned reads a signed transaction as Signed writes it: raw_data and one
// signature.
func ParseSigned(b []byte) (raw, sig []byte, err error) {
	fs, err := fields(b, txRawData, txSignature)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrBadTransaction, err)
	}
	for _, f := range fs {
		switch {
		case f.num == txRawData && raw == nil && f.typ == protowire.BytesType:
			raw = f.b
		case f.num == txSignature && sig == nil && f.typ == protowire.BytesType:
			sig = f.b
		default:
			return nil, nil, fmt.Errorf("%w: a signed transaction has one raw_data and one signature", ErrBadTransaction)
		}
	}
	if raw == nil || len(sig) != 65 {
		return nil, nil, fmt.Errorf("%w: a signed transaction has one raw_data and one 65-byte signature", ErrBadTransaction)
	}
	return raw, sig, nil
}
