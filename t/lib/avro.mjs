// avro.mjs: decode an Avro container file with avsc, longs as BigInt (so
// 64-bit snapshot ids compare exactly): { header (meta map), sync, codec,
// records }.
import { dep } from './deps.mjs';

const avsc = (await dep('avsc')).default;

export const LongType = avsc.types.LongType.__with({
  fromBuffer: (buf) => buf.readBigInt64LE(),
  toBuffer: (n) => { const b = Buffer.alloc(8); b.writeBigInt64LE(BigInt(n)); return b; },
  fromJSON: BigInt,
  toJSON: Number,
  isValid: (n) => typeof n === 'bigint',
  compare: (a, b) => (a === b ? 0 : a < b ? -1 : 1),
});

export function decodeAvro(file) {
  return new Promise((resolve, reject) => {
    const out = { records: [] };
    avsc.createFileDecoder(file, {
      parseHook: (schema) => avsc.Type.forSchema(schema, { registry: { long: LongType } }),
    })
      .on('metadata', (type, codec, header) => {
        out.codec = codec; out.header = header.meta; out.sync = header.sync;
      })
      .on('data', (r) => out.records.push(r))
      .on('error', reject)
      .on('end', () => resolve(out));
  });
}
