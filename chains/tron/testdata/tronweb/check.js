// check.js: tronweb, an implementation independent of Kassa's, checks every
// transaction in ../vectors.json (written by TestVectors_AreCurrent in chains/tron)
// and ../wallet_vectors.json (the payouts the wallet signed on the devnet, written by
// TestWalletVectors_AreCurrent):
//
//  1. from the vector's fields alone, tronweb builds the protobuf raw_data
//     (txJsonToPb) and its bytes must equal Kassa's, byte for byte, and its id
//     (txPbToTxID) Kassa's id;
//  2. tronweb decodes Kassa's raw_data_hex (deserializeTransaction) to the same
//     fields, and a TRC20 call's data to the same recipient and amount;
//  3. the signature recovers (ecRecover) the owner's address;
//  4. the signed transaction tronweb serializes (raw_data and the signature) is the
//     bytes Kassa stored and broadcast, byte for byte.
//
// Any difference is printed and the exit status is 1. Run: npm ci && node check.js
'use strict';
const fs = require('fs');
const path = require('path');
const { utils } = require('tronweb');

const read = (name) => JSON.parse(fs.readFileSync(path.join(__dirname, '..', name), 'utf8'));
const vectors = read('vectors.json').concat(read('wallet_vectors.json'));
let failures = 0;
const strip = (h) => String(h).toLowerCase().replace(/^0x/, '');
function same(v, what, got, want) {
  if (String(got) !== String(want)) {
    failures++;
    console.error(`FAIL ${v.name}: ${what}: tronweb says ${got}, Kassa ${want}`);
  }
}

for (const v of vectors) {
  const value = { owner_address: v.owner_address };
  if (v.type === 'TransferContract') {
    value.to_address = v.to_address;
    value.amount = v.amount;
  } else {
    value.contract_address = v.to_address;
    if (v.amount) value.call_value = v.amount;
    value.data = v.data;
  }
  const rawData = {
    contract: [{ parameter: { value, type_url: 'type.googleapis.com/protocol.' + v.type }, type: v.type }],
    ref_block_bytes: v.ref_block_bytes,
    ref_block_hash: v.ref_block_hash,
    expiration: v.expiration,
  };
  if (v.timestamp) rawData.timestamp = v.timestamp;
  if (v.fee_limit) rawData.fee_limit = v.fee_limit;

  const pb = utils.transaction.txJsonToPb({ raw_data: rawData });
  same(v, 'raw_data_hex built from the fields', strip(utils.transaction.txPbToRawDataHex(pb)), v.raw_data_hex);
  same(v, 'txID', strip(utils.transaction.txPbToTxID(pb)), v.txID);

  const d = utils.deserializeTx.deserializeTransaction(v.type, v.raw_data_hex);
  const c = d.contract[0].parameter.value;
  same(v, 'decoded owner', strip(c.owner_address), v.owner_address);
  same(v, 'decoded ref_block_bytes', strip(d.ref_block_bytes), v.ref_block_bytes);
  same(v, 'decoded ref_block_hash', strip(d.ref_block_hash), v.ref_block_hash);
  same(v, 'decoded expiration', d.expiration, v.expiration);
  same(v, 'decoded timestamp', d.timestamp || 0, v.timestamp || 0);
  if (v.type === 'TransferContract') {
    same(v, 'decoded recipient', strip(c.to_address), v.to_address);
    same(v, 'decoded amount', c.amount, v.amount);
  } else {
    same(v, 'decoded contract', strip(c.contract_address), v.to_address);
    same(v, 'decoded data', strip(c.data), v.data);
    same(v, 'decoded fee_limit', d.fee_limit, v.fee_limit);
    same(v, 'TRC20 selector', v.data.slice(0, 8), 'a9059cbb');
    const call = utils.abi.decodeParams(['to', 'value'], ['address', 'uint256'], '0x' + v.data.slice(8), false);
    same(v, 'TRC20 recipient', strip(call.to), v.token_to);
    same(v, 'TRC20 amount', call.value.toString(), v.token_amount);
  }
  same(v, 'signer', strip(utils.crypto.ecRecover(v.txID, v.signature)), v.owner_address);
  pb.addSignature(Uint8Array.from(Buffer.from(v.signature, 'hex')));
  same(v, 'signed transaction', Buffer.from(pb.serializeBinary()).toString('hex'), v.signed_hex);
}

if (failures > 0) {
  console.error(`tronweb disagrees with Kassa on ${failures} field(s)`);
  process.exit(1);
}
console.log(`tronweb agrees with Kassa on all ${vectors.length} transactions, byte for byte, and recovers every signer`);
