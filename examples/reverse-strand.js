// A user op: counts reverse-strand records. Run it with
//   npx bamstream run ./examples/reverse-strand.js test/fixtures/htslib/htslib_test_ce_1000.bam
// or, from the library, run(source, "./examples/reverse-strand.js").
/** @type {import('bamstream').Op<number[], number>} */
export default {
  name: 'reverse-strand',
  init: () => [0],
  record(p, rec) {
    if (rec.flag & 0x10) p[0]++
  },
  merge(a, b) {
    a[0] += b[0]
    return a
  },
  finish: (p) => p[0],
}
