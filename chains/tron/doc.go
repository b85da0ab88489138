// Package tron is Kassa's Tron backend, being built (issue 22). What exists so far is
// the part every other piece stands on, proven offline:
//
//   - addresses: base58check with version 0x41 (T...) and their 21-byte form, with
//     typed errors for a wrong version, a bad checksum or the wrong length;
//   - transactions: raw_data of a TRX transfer (TransferContract) and of a TRC20
//     transfer (TriggerSmartContract calling transfer(address,uint256)) encoded as
//     protobuf with protowire and the field numbers of Tron's published .proto files,
//     decoded back strictly, its id (SHA-256 of raw_data) and its signature
//     (secp256k1, 65 bytes r||s||v over the id, as java-tron reads it);
//   - CheckNodeBuilt: a transaction a node built is checked before it is signed (its
//     id, and the contract, signer, recipient, amount, call data and fee limit asked
//     for), since an untrusted node could swap the recipient.
//
// Every transaction shape is cross-checked by an independent implementation: the
// vectors in testdata/vectors.json, which TestVectors_AreCurrent regenerates from this
// package, are decoded by tronweb (npm) in testdata/tronweb/check.js, which compares
// every field, recomputes the id and recovers the signer's address. .ci/run runs it.
//
// Not built yet: the watcher (blocks and TRC20 logs over the full-node HTTP API), the
// payout wallet, sweeps with energy, and the Gateway wiring.
package tron
