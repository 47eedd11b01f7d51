/** Types of `cluster-key-slot` (ioredis's own slot function, which ships none). */
declare module 'cluster-key-slot' {
  /** The Redis Cluster slot (0 to 16383) of a key: CRC16 of its hash tag, or of the whole key when it has none. */
  function calculateSlot(key: string | Buffer): number;
  namespace calculateSlot {
    /** The common slot of `keys`, or -1 when they do not share one. */
    function generateMulti(keys: readonly (string | Buffer)[]): number;
  }
  export default calculateSlot;
}
