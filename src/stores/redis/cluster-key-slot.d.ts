// Types of the cluster-key-slot package (ioredis's own dependency; it ships none): Redis Cluster's CRC16 slot of a key.
declare module 'cluster-key-slot' {
  /** The slot (0..16383) of `key`, honouring a `{hash tag}`. */
  export default function calculateSlot(key: string): number;
}
