// Where should a coder that touches JavaScript objects do its work? Measures
// the JavaScript-thread time per put (value → bytes) and per get (bytes →
// value) of each way: the JavaScript codecs the library ships, and Rust
// codecs (serde_json, rmp-serde) fed by napi's value conversion.
//
// Run: node benches/codecs.mjs [N]   (builds the `codec-bench` feature of
// crates/node into target/codec-bench first). Medians of 7 runs, ns/op.
import { execFileSync } from 'node:child_process'
import { copyFileSync, mkdtempSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { deserialize as v8Decode, serialize as v8Encode } from 'node:v8'
import { JSONCoder, MsgPackCoder, StringCoder, UInt32Coder } from 'lmdb-napi'
import { record } from './data.mjs'

const N = Number(process.argv[2] ?? 100_000)
const RUNS = 7
const root = new URL('..', import.meta.url).pathname

execFileSync('cargo', ['build', '--release', '-p', 'lmdb-napi-node', '--features', 'codec-bench', '--target-dir', 'target/codec-bench'], {
  cwd: root,
  stdio: 'inherit',
})
const addon = join(mkdtempSync(join(tmpdir(), 'codec-bench-')), 'codec-bench.node')
copyFileSync(join(root, 'target/codec-bench/release/liblmdb_napi_node.so'), addon)
const rust = createRequire(import.meta.url)(addon)

const values = Array.from({ length: N }, (_, i) => record(i))
const json = new JSONCoder()
const msgpack = new MsgPackCoder()
const jsonBytes = values.map((v) => json.serialize(v))
const msgpackBytes = values.map((v) => msgpack.serialize(v))
const v8Bytes = values.map((v) => v8Encode(v))
console.log(`N = ${N}; JSON ${jsonBytes[0].length} B, MessagePack ${msgpackBytes[0].length} B, V8 ${v8Bytes[0].length} B per value`)

let sink = 0
function time(fn) {
  const ns = []
  for (let r = 0; r < RUNS; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    ns.push(Number(process.hrtime.bigint() - t0) / N)
  }
  ns.sort((a, b) => a - b)
  return ns[RUNS >> 1]
}
const each = (inputs, f) => () => {
  for (const x of inputs) sink += f(x) === undefined ? 0 : 1
}

const ints = values.map((v) => v.id)
const strings = values.map((v) => v.email)
const uint32 = new UInt32Coder()
const string = new StringCoder()
const rows = [
  ['UInt32 key', 'JS: writeUInt32BE', time(each(ints, (n) => uint32.serialize(n)))],
  ['UInt32 key', 'Rust: napi number + to_be_bytes', time(each(ints, (n) => rust.benchUint32Encode(n)))],
  ['String key', 'JS: Buffer.from(utf8)', time(each(strings, (s) => string.serialize(s)))],
  ['String key', 'Rust: napi string copy', time(each(strings, (s) => rust.benchStringEncode(s)))],
  ['JSON put', 'JS: JSON.stringify + UTF-8', time(each(values, (v) => json.serialize(v)))],
  ['JSON put', 'Rust: napi conversion only', time(each(values, (v) => rust.benchConvertOnly(v)))],
  ['JSON put', 'Rust: napi conversion + serde_json', time(each(values, (v) => rust.benchJsonEncode(v)))],
  ['JSON get', 'JS: UTF-8 + JSON.parse', time(each(jsonBytes, (b) => json.deserialize(b)))],
  ['JSON get', 'Rust: serde_json + napi conversion', time(each(jsonBytes, (b) => rust.benchJsonDecode(b)))],
  ['MessagePack put', 'JS: msgpackr', time(each(values, (v) => msgpack.serialize(v)))],
  ['MessagePack put', 'Rust: napi conversion + rmp-serde', time(each(values, (v) => rust.benchMsgpackEncode(v)))],
  ['MessagePack get', 'JS: msgpackr', time(each(msgpackBytes, (b) => msgpack.deserialize(b)))],
  ['MessagePack get', 'Rust: rmp-serde + napi conversion', time(each(msgpackBytes, (b) => rust.benchMsgpackDecode(b)))],
  ['V8 put', 'JS: v8.serialize (the only way)', time(each(values, (v) => v8Encode(v)))],
  ['V8 get', 'JS: v8.deserialize (the only way)', time(each(v8Bytes, (b) => v8Decode(b)))],
]
console.log(`\n| operation | way | JS-thread ns/op |\n|---|---|---:|`)
for (const [op, way, ns] of rows) console.log(`| ${op} | ${way} | ${Math.round(ns)} |`)
if (sink < 0) console.log(sink)
