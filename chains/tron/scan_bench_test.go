package tron

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kassapay/kassa/chains"
)

func benchAddr(i int, salt byte) [20]byte {
	h := sha256.Sum256(binary.BigEndian.AppendUint32([]byte{salt}, uint32(i)))
	return [20]byte(h[:20])
}

func benchHash(i int, salt byte) string {
	h := sha256.Sum256(binary.BigEndian.AppendUint32([]byte{salt, 0xff}, uint32(i)))
	return hex.EncodeToString(h[:])
}

// blockJSON returns wallet/getblockbynum and gettransactioninfobyblocknum answers
// shaped like a mainnet node's (the fields of testdata/node's recordings): 400
// transactions, 100 TRX transfers and 300 USDT transfers, 50 of all to watched
// addresses.
func benchBlockJSON(watched [][20]byte, usdt Address) (block, infos []byte) {
	var txs, ins []string
	const n = 400
	for i := range n {
		to := benchAddr(i, 1)
		if i%8 == 0 {
			to = watched[(i*7919)%len(watched)]
		}
		owner := AddressFromEVM(benchAddr(i, 2)).Hex()
		id := benchHash(i, 3)
		if i%4 == 0 {
			txs = append(txs, fmt.Sprintf(`{"ret":[{"contractRet":"SUCCESS"}],"signature":["%s%s00"],"txID":"%s","raw_data":{"contract":[{"parameter":{"value":{"amount":%d,"owner_address":"%s","to_address":"%s"},"type_url":"type.googleapis.com/protocol.TransferContract"},"type":"TransferContract"}],"ref_block_bytes":"c362","ref_block_hash":"4ddf60f936a910d9","expiration":1684509366000,"timestamp":1684509306936},"raw_data_hex":"0a02c36222084ddf60f936a910d940f0add4a48331"}`,
				benchHash(i, 4), benchHash(i, 5), id, 1_000_000+i, owner, AddressFromEVM(to).Hex()))
			ins = append(ins, fmt.Sprintf(`{"id":"%s","blockNumber":61000000,"blockTimeStamp":1684509309000,"contractResult":[""],"receipt":{"net_usage":267}}`, id))
			continue
		}
		data := fmt.Sprintf("a9059cbb%064x%064x", to[:], 5_000_000+i)
		txs = append(txs, fmt.Sprintf(`{"ret":[{"contractRet":"SUCCESS"}],"signature":["%s%s00"],"txID":"%s","raw_data":{"contract":[{"parameter":{"value":{"data":"%s","owner_address":"%s","contract_address":"%s"},"type_url":"type.googleapis.com/protocol.TriggerSmartContract"},"type":"TriggerSmartContract"}],"ref_block_bytes":"c362","ref_block_hash":"4ddf60f936a910d9","expiration":1684509366000,"fee_limit":150000000,"timestamp":1684509306936},"raw_data_hex":"0a02c36222084ddf60f936a910d940f0add4a48331"}`,
			benchHash(i, 4), benchHash(i, 5), id, data, owner, usdt.Hex()))
		from := benchAddr(i, 2)
		ev := usdt.EVM()
		ins = append(ins, fmt.Sprintf(`{"id":"%s","fee":345000,"blockNumber":61000000,"blockTimeStamp":1684509309000,"contractResult":["%064x"],"contract_address":"%s","receipt":{"energy_usage_total":64285,"energy_fee":13499850,"net_fee":345000,"result":"SUCCESS","energy_penalty_total":49635},"log":[{"address":"%s","topics":["%s","%064x","%064x"],"data":"%064x"}]}`,
			id, 0, usdt.Hex(), hex.EncodeToString(ev[:]), transferTopic, from[:], to[:], 5_000_000+i))
	}
	block = fmt.Appendf(nil, `{"blockID":"0000000003a2c2c0%s","block_header":{"raw_data":{"number":61000000,"txTrieRoot":"%s","witness_address":"41e71c365c9dbf284ca8c1eed2d7877638941b9011","parentHash":"0000000003a2c2bf%s","version":31,"timestamp":1684509309000},"witness_signature":"%s"},"transactions":[%s]}`,
		benchHash(0, 9)[16:], benchHash(1, 9), benchHash(2, 9)[16:], benchHash(3, 9)+benchHash(4, 9)+"00", strings.Join(txs, ","))
	return block, []byte("[" + strings.Join(ins, ",") + "]")
}

// BenchmarkScanBlock measures processing a mainnet-sized block (400 transactions:
// 100 TRX and 300 USDT transfers, 50 to watched addresses) with its infos, against
// 1,000 and 1,000,000 watched addresses (decode, check the infos against the block,
// match), beside bare decoding of the same JSON into the same structs in the same
// run.
func BenchmarkScanBlock(b *testing.B) {
	usdt, _ := ParseAddress("TR7NHqjeKQxGTCi8q8ZY4pL8otSzgjLj6t")
	be := &Backend{native: "TRX", tokens: map[[20]byte]token{usdt.EVM(): {code: "USDT_TRON", contract: usdt}}}
	watched := make([][20]byte, 1_000_000)
	addrs := make([]string, len(watched))
	for i := range watched {
		watched[i] = benchAddr(i, 8)
		addrs[i] = AddressFromEVM(watched[i]).String()
	}
	blockRaw, infosRaw := benchBlockJSON(watched[:1000], usdt)
	decode := func(b *testing.B) (*nodeBlock, []txInfo) {
		var blk nodeBlock
		var infos []txInfo
		if json.Unmarshal(blockRaw, &blk) != nil || json.Unmarshal(infosRaw, &infos) != nil {
			b.Fatal("decode")
		}
		return &blk, infos
	}
	b.Run("baseline=json-decode", func(b *testing.B) {
		b.SetBytes(int64(len(blockRaw) + len(infosRaw)))
		for b.Loop() {
			decode(b)
		}
	})
	for _, n := range []int{1_000, 1_000_000} {
		set := chains.NewKeyedSet(be, addrs[:n]...)
		b.Run(fmt.Sprintf("scan-watched=%d", n), func(b *testing.B) {
			b.SetBytes(int64(len(blockRaw) + len(infosRaw)))
			for b.Loop() {
				blk, infos := decode(b)
				ref, err := blk.ref()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := infosOf(blk, infos); err != nil {
					b.Fatal(err)
				}
				lookup := lookupIn(set)
				native, err := be.matchNative(blk, ref, lookup)
				if err != nil {
					b.Fatal(err)
				}
				got := len(native) + len(be.matchLogs(infos, ref, lookup))
				if got != 50 {
					b.Fatalf("%d transfers, want 50", got)
				}
			}
		})
	}
}
