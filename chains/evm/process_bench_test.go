package evm

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/params"
	"github.com/kassapay/kassa/chains"
)

func hash(i int, salt byte) common.Hash {
	return sha256.Sum256(binary.BigEndian.AppendUint32([]byte{salt}, uint32(i)))
}

// blockJSON returns eth_getBlockByNumber(h, true) and eth_getLogs results shaped like a
// node's: 300 transactions and 1,000 Transfer logs of 4 tokens, 50 of them to watched
// addresses.
func blockJSON(watched []common.Address, tokens []common.Address) (block, logs []byte) {
	blockHash := hash(0, 0)
	var txs []string
	for i := range 300 {
		to := common.BytesToAddress(hash(i, 1).Bytes())
		txs = append(txs, fmt.Sprintf(`{"blockHash":%q,"blockNumber":"0x10","from":%q,"gas":"0x5208","gasPrice":"0x3b9aca00","maxFeePerGas":"0x77359400","maxPriorityFeePerGas":"0x3b9aca00","hash":%q,"input":"0xa9059cbb%064x%064x","nonce":"0x%x","to":%q,"transactionIndex":"0x%x","value":"0x%x","type":"0x2","accessList":[],"chainId":"0x1","v":"0x1","r":"0x%x","s":"0x%x","yParity":"0x1"}`,
			blockHash.Hex(), common.BytesToAddress(hash(i, 2).Bytes()).Hex(), hash(i, 3).Hex(), i, i*7, i, to.Hex(), i, i*1000, hash(i, 4).Big(), hash(i, 5).Big()))
	}
	block = fmt.Appendf(nil, `{"baseFeePerGas":"0x7","difficulty":"0x0","extraData":"0x","gasLimit":"0x1c9c380","gasUsed":"0x1","hash":%q,"logsBloom":"0x%0512x","miner":%q,"mixHash":%q,"nonce":"0x0000000000000000","number":"0x10","parentHash":%q,"receiptsRoot":%q,"sha3Uncles":%q,"size":"0x1","stateRoot":%q,"timestamp":"0x6553f100","transactions":[%s],"transactionsRoot":%q,"uncles":[],"withdrawals":[]}`,
		blockHash.Hex(), 0, common.Address{}.Hex(), hash(1, 9).Hex(), hash(2, 9).Hex(), hash(3, 9).Hex(), hash(4, 9).Hex(), hash(5, 9).Hex(),
		strings.Join(txs, ","), hash(6, 9).Hex())
	var ls []string
	for i := range 1000 {
		to := common.BytesToAddress(hash(i, 6).Bytes())
		if i%20 == 0 {
			to = watched[(i*7919)%len(watched)]
		}
		ls = append(ls, fmt.Sprintf(`{"address":%q,"topics":[%q,%q,%q],"data":"0x%064x","blockNumber":"0x10","transactionHash":%q,"transactionIndex":"0x%x","blockHash":%q,"logIndex":"0x%x","removed":false}`,
			tokens[i%len(tokens)].Hex(), params.EthTransferLogEvent.Hex(), common.BytesToHash(hash(i, 7).Bytes()[:20]).Hex(),
			common.BytesToHash(to.Bytes()).Hex(), i+1, hash(i%300, 3).Hex(), i%300, blockHash.Hex(), i))
	}
	logs = []byte("[" + strings.Join(ls, ",") + "]")
	return block, logs
}

// BenchmarkProcessBlock measures processing a block of 300 transactions and 1,000 token
// Transfer logs against 1,000,000 watched addresses (decode + match), against bare
// decoding of the same JSON in the same run.
func BenchmarkProcessBlock(b *testing.B) {
	tokens := []common.Address{common.HexToAddress("0xdAC17F958D2ee523a2206206994597C13D831ec7"), common.HexToAddress("0xA0b86991c6218b36c1d19D4a2e9Eb0cE3606eB48"),
		common.HexToAddress("0x514910771AF9Ca656af840dff83E8264EcF986CA"), common.HexToAddress("0x55d398326f99059fF775485246999027B3197955")}
	be := &Backend{native: "ETH", tokens: map[common.Address]token{}}
	for i, t := range tokens {
		be.tokens[t] = token{code: fmt.Sprint("TOKEN", i)}
	}
	watched := make([]common.Address, 1_000_000)
	addrs := make([]string, len(watched))
	for i := range watched {
		watched[i] = common.BytesToAddress(hash(i, 8).Bytes())
		addrs[i] = watched[i].Hex()
	}
	set := chains.NewKeyedSet(be, addrs...)
	blockRaw, logsRaw := blockJSON(watched, tokens)
	b.Run("baseline=json-decode", func(b *testing.B) {
		b.SetBytes(int64(len(blockRaw) + len(logsRaw)))
		for b.Loop() {
			var blk rpcBlock
			var logs []rpcLog
			if json.Unmarshal(blockRaw, &blk) != nil || json.Unmarshal(logsRaw, &logs) != nil {
				b.Fatal("decode")
			}
		}
	})
	b.Run("process-1M-watched", func(b *testing.B) {
		b.SetBytes(int64(len(blockRaw) + len(logsRaw)))
		for b.Loop() {
			var blk rpcBlock
			var logs []rpcLog
			if json.Unmarshal(blockRaw, &blk) != nil || json.Unmarshal(logsRaw, &logs) != nil {
				b.Fatal("decode")
			}
			lookup := lookupIn(set)
			ref := blk.ref()
			_ = be.nativeCandidates(&blk, ref, lookup)
			if got := be.matchLogs(logs, blk.Hash, ref, lookup); len(got) != 50 {
				b.Fatalf("%d transfers", len(got))
			}
		}
	})
}
