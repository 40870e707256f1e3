import type { BalancedBackend } from './balancer-types';

/** Ring points per unit of weight. */
export const POINTS_PER_WEIGHT = 100;
/**
 * Upper bound on the ring's size (8 bytes a point). Below it (sum of weights <= 1000) every
 * backend has exactly `weight * POINTS_PER_WEIGHT` points, so adding or removing a backend only
 * adds or removes its own points. Above it the counts are scaled down proportionally.
 */
export const MAX_RING_POINTS = 100_000;

const FNV_OFFSET_BASIS = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
/** Owner indexes are packed below the 32-bit point in one float64 for sorting: 2^20 backends max. */
const OWNER_SLOTS = 0x100000;

/**
 * 32-bit FNV-1a over the string's UTF-16 code units, low byte first and the high byte only when
 * non-zero (so ASCII/Latin-1 strings hash exactly like their bytes). Allocates nothing.
 */
export function fnv1a32(text: string): number {
  let hash = FNV_OFFSET_BASIS;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    hash = Math.imul(hash ^ (unit & 0xff), FNV_PRIME);
    if (unit > 0xff) hash = Math.imul(hash ^ (unit >>> 8), FNV_PRIME);
  }
  return hash >>> 0;
}

/** murmur3's 32-bit finaliser: spreads FNV's weak low-bit avalanche over all 32 bits. */
export function fmix32(value: number): number {
  let h = value >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The hash used for ring points and request keys: unsigned 32-bit. */
export function hashString(text: string): number {
  return fmix32(fnv1a32(text));
}

/** Points for each backend: `weight * POINTS_PER_WEIGHT`, scaled down when over `maxPoints`. */
function pointCounts(backends: readonly BalancedBackend[], pointsPerWeight: number, maxPoints: number): number[] {
  let totalWeight = 0;
  for (const backend of backends) totalWeight += backend.weight;
  const perWeight = totalWeight * pointsPerWeight <= maxPoints ? pointsPerWeight : maxPoints / totalWeight;
  return backends.map((backend) => Math.max(1, Math.floor(backend.weight * perWeight)));
}

export interface RingOptions {
  readonly pointsPerWeight?: number;
  readonly maxPoints?: number;
}

/**
 * A consistent-hash ring over a route's backends, built once. Backend `i` owns the points
 * `hashString(`${id}#${n}`)` for n = 0..count-1 (count proportional to its weight), so a key
 * lands on the same backend for as long as the backend set is unchanged, and a change of one
 * backend of N moves only about 1/N of keys. Repeated ids get distinct point names.
 */
export class HashRing {
  /** Sorted ascending. */
  private readonly points: Uint32Array;
  /** Backend index owning `points[i]`. */
  private readonly owners: Uint32Array;
  private readonly backendCount: number;
  /** Per-lookup marks of backends found unavailable, so a walk asks each backend once. */
  private readonly seen: Uint32Array;
  private epoch = 0;

  constructor(backends: readonly BalancedBackend[], options: RingOptions = {}) {
    if (backends.length > OWNER_SLOTS) throw new RangeError(`a hash ring holds at most ${OWNER_SLOTS} backends`);
    const counts = pointCounts(backends, options.pointsPerWeight ?? POINTS_PER_WEIGHT, options.maxPoints ?? MAX_RING_POINTS);
    let total = 0;
    for (const count of counts) total += count;

    // point * 2^20 + owner < 2^52: exact in a float64, and a numeric sort orders by point, then
    // by owner (so colliding points resolve deterministically to the lower index).
    const packed = new Float64Array(total);
    const occurrences = new Map<string, number>();
    let at = 0;
    backends.forEach((backend, owner) => {
      const occurrence = occurrences.get(backend.id) ?? 0;
      occurrences.set(backend.id, occurrence + 1);
      const base = occurrence === 0 ? backend.id : `${backend.id}\u0000${occurrence}`;
      for (let n = 0; n < counts[owner]; n++) {
        packed[at++] = hashString(`${base}#${n}`) * OWNER_SLOTS + owner;
      }
    });
    packed.sort();

    this.points = new Uint32Array(total);
    this.owners = new Uint32Array(total);
    for (let i = 0; i < total; i++) {
      const owner = packed[i] % OWNER_SLOTS;
      this.owners[i] = owner;
      this.points[i] = (packed[i] - owner) / OWNER_SLOTS;
    }
    this.backendCount = backends.length;
    this.seen = new Uint32Array(backends.length);
  }

  /** Number of points on the ring. */
  get size(): number {
    return this.points.length;
  }

  /** How many points backend `index` owns. */
  pointsOf(index: number): number {
    let count = 0;
    for (let i = 0; i < this.owners.length; i++) if (this.owners[i] === index) count++;
    return count;
  }

  /** Index of the first point at or after `hash`, wrapping to 0 past the last. */
  private firstPointFrom(hash: number): number {
    const points = this.points;
    let low = 0;
    let high = points.length;
    while (low < high) {
      const mid = (low + high) >>> 1;
      if (points[mid] < hash) low = mid + 1;
      else high = mid;
    }
    return low === points.length ? 0 : low;
  }

  /**
   * The backend owning `hash`: the first available backend clockwise from it, or -1 when none
   * is available. Asks `isAvailable` at most once per backend; allocates nothing.
   */
  lookup(hash: number, view: { isAvailable(index: number): boolean }): number {
    const length = this.points.length;
    if (length === 0) return -1;
    const owners = this.owners;
    let position = this.firstPointFrom(hash >>> 0);
    const first = owners[position];
    if (view.isAvailable(first)) return first;

    const seen = this.seen;
    if (this.epoch === 0xffffffff) {
      seen.fill(0);
      this.epoch = 0;
    }
    const epoch = ++this.epoch;
    seen[first] = epoch;
    let unavailable = 1;
    for (let step = 1; step < length && unavailable < this.backendCount; step++) {
      position = position + 1 === length ? 0 : position + 1;
      const owner = owners[position];
      if (seen[owner] === epoch) continue;
      if (view.isAvailable(owner)) return owner;
      seen[owner] = epoch;
      unavailable++;
    }
    return -1;
  }
}
