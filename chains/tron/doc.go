// Package tron is Kassa's Tron backend: TRX and TRC20 tokens (USDT, USDC) watched,
// paid out and swept through a java-tron full node's HTTP API (TronGrid serves the
// same), with the API key TronGrid wants in its TRON-PRO-API-KEY header.
//
//   - Backend (New) is a chains.Backend: blocks (wallet/getblockbynum) and, when they
//     call a contract, their transactions' infos (wallet/gettransactioninfobyblocknum):
//     TRX for a successful TransferContract, tokens for Transfer logs of transactions
//     whose receipt says SUCCESS (a reverted or out-of-energy transfer never
//     credits), matched by one map lookup each against the watched set keyed by the
//     20 address bytes.
//   - Wallet (Backend.NewWallet for the Gateway) pays TRX and TRC20 from the hot
//     wallet and sweeps deposit addresses into it: raw_data built here (Raw.Marshal:
//     protobuf with protowire and the field numbers of Tron's .proto files), signed
//     (secp256k1, 65 bytes r||s||v over its SHA-256), stored, then broadcast
//     (wallet/broadcasthex); fees from Tron's bandwidth and energy model.
//   - addresses: base58check with version 0x41 (T...) and their 21-byte form, with
//     typed errors for a wrong version, a bad checksum or the wrong length.
//   - CheckNodeBuilt checks a transaction a node built before it is signed (its id,
//     and the contract, signer, recipient, amount, call data and fee limit asked
//     for), since an untrusted node could swap the recipient.
//
// Every transaction shape is cross-checked by an independent implementation: the
// vectors in testdata/vectors.json (built by this package) and
// testdata/wallet_vectors.json (payouts and sweeps the wallet signed on
// trondevnet) are rebuilt and decoded by tronweb (npm) in testdata/tronweb/check.js,
// which compares every byte, recomputes the id and recovers the signer's address.
// .ci/run runs it. Answers of real nodes are in testdata/node (PROVENANCE.md).
package tron
