package trondevnet

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"

	"github.com/kassapay/kassa/chains/tron"
)

// handler serves the endpoints of java-tron's HTTP API that Kassa uses.
func (n *Node) handler() http.Handler {
	mux := http.NewServeMux()
	route := func(path string, fn func(req map[string]any) any) {
		mux.HandleFunc("POST "+path, func(w http.ResponseWriter, r *http.Request) {
			var req map[string]any
			dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
			dec.UseNumber()
			if err := dec.Decode(&req); err != nil {
				// java-tron answers a body it cannot read with 200 and an Error field.
				writeJSON(w, map[string]any{"Error": "class com.alibaba.fastjson.JSONException : " + err.Error()})
				return
			}
			n.mu.Lock()
			out := fn(req)
			n.mu.Unlock()
			writeJSON(w, out)
		})
	}
	route("/wallet/getnowblock", func(map[string]any) any { return n.blockJSON(n.head()) })
	route("/walletsolidity/getnowblock", func(map[string]any) any { return n.blockJSON(n.blocks[n.solid()]) })
	route("/wallet/getblockbynum", func(req map[string]any) any {
		num, ok := integer(req["num"])
		if !ok || num < 0 || num >= int64(len(n.blocks)) {
			return map[string]any{}
		}
		return n.blockJSON(n.blocks[num])
	})
	route("/wallet/gettransactioninfobyblocknum", func(req map[string]any) any {
		num, ok := integer(req["num"])
		if !ok || num < 0 || num >= int64(len(n.blocks)) {
			return []any{}
		}
		b := n.blocks[num]
		out := []any{}
		for i := range b.txs {
			out = append(out, n.infoJSON(b, i))
		}
		return out
	})
	infoByID := func(req map[string]any, top int64) any {
		id, _ := req["value"].(string)
		for _, b := range n.blocks[:top+1] {
			for i, t := range b.txs {
				if t.id == id {
					return n.infoJSON(b, i)
				}
			}
		}
		return map[string]any{}
	}
	route("/wallet/gettransactioninfobyid", func(req map[string]any) any { return infoByID(req, n.head().number) })
	route("/walletsolidity/gettransactioninfobyid", func(req map[string]any) any { return infoByID(req, n.solid()) })
	route("/wallet/getchainparameters", func(map[string]any) any {
		return map[string]any{"chainParameter": []any{
			map[string]any{"key": "getMaintenanceTimeInterval", "value": 21600000},
			map[string]any{"key": "getCreateAccountFee", "value": CreateAccountFee},
			map[string]any{"key": "getTransactionFee", "value": TransactionFee},
			map[string]any{"key": "getCreateNewAccountFeeInSystemContract", "value": ActivationFee},
			map[string]any{"key": "getEnergyFee", "value": EnergyFee},
			map[string]any{"key": "getFreeNetLimit", "value": FreeBandwidth},
			map[string]any{"key": "getAllowTvmConstantinople", "value": 1},
		}}
	})
	account := func(req map[string]any, st map[tron.Address]*account) any {
		a, ok := address(req["address"])
		acc := st[a]
		if !ok || acc == nil || !acc.activated {
			return map[string]any{}
		}
		out := map[string]any{"address": a.Hex(), "create_time": n.start.UnixMilli()}
		if acc.trx > 0 {
			out["balance"] = acc.trx
		}
		return out
	}
	route("/wallet/getaccount", func(req map[string]any) any { return account(req, n.state) })
	route("/walletsolidity/getaccount", func(req map[string]any) any { return account(req, n.stateAt(n.solid())) })
	route("/wallet/getaccountresource", func(req map[string]any) any {
		a, ok := address(req["address"])
		acc := n.state[a]
		if !ok || acc == nil || !acc.activated {
			return map[string]any{}
		}
		out := map[string]any{"freeNetLimit": FreeBandwidth, "TotalNetLimit": 43200000000, "TotalNetWeight": 26509541429,
			"TotalEnergyLimit": 180000000000, "TotalEnergyWeight": 19093240426}
		if acc.freeUsed > 0 {
			out["freeNetUsed"] = acc.freeUsed
		}
		if acc.energy > 0 {
			out["EnergyLimit"] = acc.energy
		}
		return out
	})
	route("/wallet/triggerconstantcontract", func(req map[string]any) any { return n.constantCall(req, n.state) })
	route("/walletsolidity/triggerconstantcontract", func(req map[string]any) any { return n.constantCall(req, n.stateAt(n.solid())) })
	route("/wallet/broadcasthex", n.broadcast)
	return mux
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func integer(v any) (int64, bool) {
	num, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	i, err := num.Int64()
	return i, err == nil
}

func address(v any) (tron.Address, bool) {
	s, _ := v.(string)
	a, err := tron.ParseAddress(s)
	return a, err == nil
}

// blockJSON writes b as java-tron does with visible=false.
func (n *Node) blockJSON(b *block) map[string]any {
	out := map[string]any{
		"blockID": hex.EncodeToString(b.id[:]),
		"block_header": map[string]any{
			"raw_data": map[string]any{"number": b.number, "txTrieRoot": strings.Repeat("0", 64),
				"witness_address": "41" + strings.Repeat("0", 40), "parentHash": hex.EncodeToString(b.parent[:]),
				"version": 32, "timestamp": b.time},
			"witness_signature": strings.Repeat("0", 130),
		},
	}
	if b.number == 0 {
		delete(out["block_header"].(map[string]any)["raw_data"].(map[string]any), "number")
	}
	if len(b.txs) > 0 {
		txs := make([]any, len(b.txs))
		for i, t := range b.txs {
			txs[i] = txJSON(t, b.results[i].ret)
		}
		out["transactions"] = txs
	}
	return out
}

// txJSON writes t as a block's transaction.
func txJSON(t *tx, ret string) map[string]any {
	value := map[string]any{"owner_address": t.raw.Owner.Hex()}
	c := map[string]any{"type": t.raw.Type.String()}
	raw := map[string]any{"ref_block_bytes": hex.EncodeToString(t.raw.RefBlockBytes[:]),
		"ref_block_hash": hex.EncodeToString(t.raw.RefBlockHash[:]), "expiration": t.raw.Expiration, "timestamp": t.raw.Timestamp}
	switch t.raw.Type {
	case tron.TransferContract:
		value["to_address"], value["amount"] = t.raw.To.Hex(), t.raw.Amount
	case tron.TriggerSmartContract:
		value["contract_address"], value["data"] = t.raw.To.Hex(), hex.EncodeToString(t.raw.Data)
		if t.raw.Amount > 0 {
			value["call_value"] = t.raw.Amount
		}
		raw["fee_limit"] = t.raw.FeeLimit
	}
	c["parameter"] = map[string]any{"value": value, "type_url": "type.googleapis.com/protocol." + t.raw.Type.String()}
	raw["contract"] = []any{c}
	return map[string]any{"ret": []any{map[string]any{"contractRet": ret}}, "signature": []string{hex.EncodeToString(t.sig)},
		"txID": t.id, "raw_data": raw, "raw_data_hex": hex.EncodeToString(t.rawB)}
}

// infoJSON writes the info of b's i-th transaction as gettransactioninfobyblocknum
// does.
func (n *Node) infoJSON(b *block, i int) map[string]any {
	t, r := b.txs[i], b.results[i]
	out := map[string]any{"id": t.id, "blockNumber": b.number, "blockTimeStamp": b.time, "contractResult": []string{""}}
	if r.fee > 0 {
		out["fee"] = r.fee
	}
	receipt := map[string]any{}
	if r.netFee > 0 {
		receipt["net_fee"] = r.netFee
	}
	if r.netUsage > 0 {
		receipt["net_usage"] = r.netUsage
	}
	if t.raw.Type == tron.TriggerSmartContract {
		out["contract_address"] = t.raw.To.Hex()
		receipt["energy_usage_total"] = r.energy
		if r.energyFee > 0 {
			receipt["energy_fee"] = r.energyFee
		}
		if r.energy*EnergyFee > r.energyFee {
			receipt["energy_usage"] = r.energy - r.energyFee/EnergyFee
		}
		receipt["result"] = r.ret
		if r.ret == "SUCCESS" {
			out["contractResult"] = []string{strings.Repeat("0", 64)} // as USDT answers on mainnet
		} else {
			out["result"] = "FAILED"
			msg := "REVERT opcode executed"
			if r.ret == "OUT_OF_ENERGY" {
				msg = "Not enough energy for 'SSTORE' operation executing: curInvokeEnergyLimit[4761], curOpEnergy[5000], usedEnergy[0]"
			}
			out["resMessage"] = hex.EncodeToString([]byte(msg))
		}
	}
	out["receipt"] = receipt
	var logs []any
	for _, l := range r.logs {
		token := n.Token.EVM()
		from, to := l.from.EVM(), l.to.EVM()
		logs = append(logs, map[string]any{"address": hex.EncodeToString(token[:]),
			"topics": []string{"ddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef",
				fmt.Sprintf("%064x", from[:]), fmt.Sprintf("%064x", to[:])},
			"data": fmt.Sprintf("%064x", l.amount)})
	}
	if len(logs) > 0 {
		out["log"] = logs
	}
	return out
}

// constantCall answers triggerconstantcontract for the token's transfer and
// balanceOf: what the call would return and cost now, without a transaction.
func (n *Node) constantCall(req map[string]any, state map[tron.Address]*account) any {
	owner, _ := address(req["owner_address"])
	contract, ok := address(req["contract_address"])
	selector, _ := req["function_selector"].(string)
	param, _ := req["parameter"].(string)
	data, err := hex.DecodeString(param)
	if !ok || contract != n.Token || err != nil {
		return map[string]any{"result": map[string]any{"code": "CONTRACT_VALIDATE_ERROR",
			"message": hex.EncodeToString([]byte("Smart contract is not exist."))}}
	}
	okResult := map[string]any{"result": true}
	switch selector {
	case "balanceOf(address)":
		if len(data) != 32 {
			break
		}
		bal := new(big.Int)
		if acc := state[tron.AddressFromEVM([20]byte(data[12:]))]; acc != nil && acc.tokens != nil {
			bal = acc.tokens
		}
		return map[string]any{"result": okResult, "energy_used": 935, "constant_result": []string{fmt.Sprintf("%064x", bal)}}
	case "transfer(address,uint256)":
		if len(data) != 64 {
			break
		}
		to, amount := tron.AddressFromEVM([20]byte(data[12:32])), new(big.Int).SetBytes(data[32:])
		acc := state[owner]
		if acc == nil || acc.tokens == nil || acc.tokens.Cmp(amount) < 0 {
			// As java-tron answers a call that reverts: result true, the transaction's
			// ret FAILED, and the message.
			return map[string]any{"result": map[string]any{"result": true, "message": hex.EncodeToString([]byte("REVERT opcode executed"))},
				"energy_used": energyRevert, "constant_result": []string{""},
				"transaction": map[string]any{"ret": []any{map[string]any{"ret": "FAILED"}}}}
		}
		energy := EnergyToNewHolder
		if r := state[to]; r != nil && r.tokens != nil && r.tokens.Sign() > 0 {
			energy = EnergyToHolder
		}
		return map[string]any{"result": okResult, "energy_used": energy, "constant_result": []string{fmt.Sprintf("%064x", 1)}}
	}
	return map[string]any{"result": map[string]any{"code": "CONTRACT_EXE_ERROR",
		"message": hex.EncodeToString([]byte("REVERT opcode executed"))}}
}

// broadcast answers broadcasthex: it checks a signed transaction as a node would and
// puts it in the pool.
func (n *Node) broadcast(req map[string]any) any {
	refuse := func(code, txid, msg string) any {
		return map[string]any{"result": false, "code": code, "txid": txid, "message": hex.EncodeToString([]byte(msg))}
	}
	s, _ := req["transaction"].(string)
	signed, err := hex.DecodeString(s)
	if err != nil {
		return refuse("OTHER_ERROR", "", "transaction is not hex")
	}
	rawB, sig, err := tron.ParseSigned(signed)
	if err != nil {
		return refuse("OTHER_ERROR", "", err.Error())
	}
	raw, err := tron.UnmarshalRaw(rawB)
	if err != nil {
		return refuse("OTHER_ERROR", "", err.Error())
	}
	id := tron.TxID(rawB)
	txid := hex.EncodeToString(id[:])
	if n.refuse != "" {
		return refuse(n.refuse, txid, "refused by the test")
	}
	if signer, err := tron.Signer(id, sig); err != nil || signer != raw.Owner {
		return refuse("SIGERROR", txid, "Validate signature error: "+fmt.Sprint(err)+" is signed by "+signer.String()+" but it is not contained of permission.")
	}
	head := n.head()
	tapos := false
	for _, b := range n.blocks[max(0, len(n.blocks)-65536):] {
		rb, rh := tron.RefBlock(b.number, b.id)
		tapos = tapos || (rb == raw.RefBlockBytes && rh == raw.RefBlockHash)
	}
	if !tapos {
		return refuse("TAPOS_ERROR", txid, "Tapos check error")
	}
	if raw.Expiration <= head.time || raw.Expiration > head.time+24*3600*1000 {
		return refuse("TRANSACTION_EXPIRATION_ERROR", txid, "Transaction expired")
	}
	for _, t := range n.pool {
		if t.id == txid {
			return refuse("DUP_TRANSACTION_ERROR", txid, "Dup transaction.")
		}
	}
	for _, b := range n.blocks {
		for _, t := range b.txs {
			if t.id == txid {
				return refuse("DUP_TRANSACTION_ERROR", txid, "Dup transaction.")
			}
		}
	}
	owner := n.state[raw.Owner]
	switch {
	case owner == nil || !owner.activated:
		return refuse("CONTRACT_VALIDATE_ERROR", txid, "Validate TransferContract error, no OwnerAccount.")
	case raw.Type == tron.TransferContract && owner.trx < raw.Amount:
		return refuse("CONTRACT_VALIDATE_ERROR", txid, "Validate TransferContract error, balance is not sufficient.")
	case raw.Type == tron.TransferContract && raw.To == raw.Owner:
		return refuse("CONTRACT_VALIDATE_ERROR", txid, "Validate TransferContract error, Cannot transfer TRX to yourself.")
	case raw.Type == tron.TriggerSmartContract && (n.state[raw.To] == nil || !n.state[raw.To].activated):
		return refuse("CONTRACT_VALIDATE_ERROR", txid, "No contract or not a valid smart contract")
	case owner.trx < int64(len(signed)+resultSize)*TransactionFee && owner.freeUsed+int64(len(signed)+resultSize) > FreeBandwidth:
		return refuse("BANDWITH_ERROR", txid, "Account resource insufficient error.")
	}
	n.pool = append(n.pool, &tx{id: txid, raw: raw, rawB: rawB, sig: sig, signed: bytes.Clone(signed)})
	return map[string]any{"result": true, "txid": txid}
}
