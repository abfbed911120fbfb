package demo

import (
	"math/bits"
	"strconv"
)

// Identifiers must be unique (userIds, order ids, messageIds) yet look
// random, and must depend on the seed so two demo runs with different seeds
// never collide in a deduplication window. Each one is a bijection of a
// unique integer (person index, sequence number, …) into the identifier's
// space: x*mult+salt modulo the space size with mult coprime to it, or the
// splitmix64 finaliser on 64 bits. Bijective means unique without any
// bookkeeping.

// mix64 is the splitmix64 finaliser: a bijection on uint64 with good
// avalanche, used wherever 64 random-looking bits are needed.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// permuter maps [0, mod) onto itself bijectively.
type permuter struct {
	mod, mult, salt uint64
}

func gcd(a, b uint64) uint64 {
	for b != 0 {
		a, b = b, a%b
	}
	return a
}

// newPermuter returns a bijection of [0, mod) salted by seed and tag.
func newPermuter(mod, seed, tag uint64) permuter {
	m := mix64(tag*0x9e3779b97f4a7c15+1)%mod | 1
	for gcd(m, mod) != 1 {
		m += 2
		if m >= mod {
			m = 1
		}
	}
	return permuter{mod: mod, mult: m, salt: mix64(seed^mix64(tag)) % mod}
}

// at returns the image of x, which must be below p.mod.
func (p permuter) at(x uint64) uint64 {
	hi, lo := bits.Mul64(x, p.mult)
	r := bits.Rem64(hi, lo, p.mod)
	r += p.salt
	if r >= p.mod {
		r -= p.mod
	}
	return r
}

const digits36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"

// appendBase36 appends v in upper-case base 36, left-padded with zeros to
// width characters.
func appendBase36(b []byte, v uint64, width int) []byte {
	var tmp [16]byte
	i := len(tmp)
	for v > 0 || i > len(tmp)-width {
		i--
		tmp[i] = digits36[v%36]
		v /= 36
	}
	return append(b, tmp[i:]...)
}

// appendPadded appends v in decimal, left-padded with zeros to width.
func appendPadded(b []byte, v uint64, width int) []byte {
	var tmp [24]byte
	s := strconv.AppendUint(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

const hexDigits = "0123456789abcdef"

// appendUUID appends hi and lo formatted as a version-4-looking UUID. Only
// hi's version nibble is overwritten, so lo, which carries the unique
// part, survives intact and the result stays unique.
func appendUUID(b []byte, hi, lo uint64) []byte {
	hi = hi&^(0xf<<12) | 0x4<<12
	var raw [16]byte
	for i := 0; i < 8; i++ {
		raw[i] = byte(hi >> (56 - 8*i))
		raw[8+i] = byte(lo >> (56 - 8*i))
	}
	for i, c := range raw {
		if i == 4 || i == 6 || i == 8 || i == 10 {
			b = append(b, '-')
		}
		b = append(b, hexDigits[c>>4], hexDigits[c&15])
	}
	return b
}

// ids bundles the salted permutations one run uses, so every identifier
// family has its own space and depends on the seed.
type ids struct {
	seed       uint64
	shopifyCus permuter // 12 digits
	tiktokCus  permuter // 18 digits
	amazonOrd  permuter // 15 digits
	shopifyOrd permuter // 12 digits
	tiktokOrd  permuter // 16 digits
	webOrd     permuter // 12 digits
	emailNum   permuter // sized to the number of people
}

func newIDs(seed uint64, people int) *ids {
	emailMod := uint64(10000)
	for emailMod < uint64(people)*20 {
		emailMod *= 10
	}
	return &ids{
		seed:       seed,
		shopifyCus: newPermuter(1e12, seed, 1),
		tiktokCus:  newPermuter(1e18, seed, 2),
		amazonOrd:  newPermuter(1e15, seed, 3),
		shopifyOrd: newPermuter(1e12, seed, 4),
		tiktokOrd:  newPermuter(1e16, seed, 5),
		webOrd:     newPermuter(1e12, seed, 6),
		emailNum:   newPermuter(emailMod, seed, 7),
	}
}

// messageID returns the messageId of message seq of stream (a person index,
// or adStream for ad spend rows): unique because lo is a bijection of the
// pair.
func (d *ids) messageID(b []byte, stream uint32, seq uint32) []byte {
	lo := mix64(uint64(stream)<<32 | uint64(seq))
	hi := mix64(lo ^ mix64(d.seed))
	return appendUUID(b, hi, lo)
}

// userID returns the source-specific customer id of person idx: formats
// follow what each platform's ids look like.
func (d *ids) userID(idx uint32, src int) string {
	x := uint64(idx)<<3 | uint64(src)
	var b []byte
	switch sourceTable[src].kind {
	case kindAmazon:
		// Amazon buyer ids: "A" and 13 upper-case alphanumerics.
		b = append(b, 'A')
		b = appendBase36(b, mix64(x^mix64(d.seed^0xa11)), 13)
	case kindShopify:
		b = appendPadded(append(b, '7'), d.shopifyCus.at(x), 12)
	case kindTikTok:
		b = appendPadded(append(b, '7'), d.tiktokCus.at(x), 18)
	default:
		b = append(b, "usr_"...)
		b = appendBase36(b, mix64(x^mix64(d.seed^0xeb)), 13)
	}
	return string(b)
}

// anonymousID is the browser cookie id of person idx's device dev on src.
func (d *ids) anonymousID(idx uint32, src int, dev int) string {
	x := uint64(idx)<<8 | uint64(dev)<<3 | uint64(src)
	lo := mix64(x ^ 0x5bd1e995)
	hi := mix64(lo ^ d.seed)
	return string(appendUUID(make([]byte, 0, 36), hi, lo))
}

// orderID is the platform order number of the n-th order of person idx.
func (d *ids) orderID(idx uint32, n int, src int) string {
	// n < maxOrders, so x is unique per (idx, n) and below every modulus
	// for any person count Config allows.
	x := uint64(idx)*maxOrders + uint64(n)
	var b []byte
	si := &sourceTable[src]
	switch si.kind {
	case kindAmazon:
		// "114-1234567-1234567": 3-7-7 digits, the prefix per marketplace.
		v := d.amazonOrd.at(x)
		var s [15]byte
		digitsOf := appendPadded(s[:0], v, 15)
		b = append(b, si.orderPrefix...)
		b = append(b, digitsOf[0], '-')
		b = append(b, digitsOf[1:8]...)
		b = append(b, '-')
		b = append(b, digitsOf[8:]...)
	case kindShopify:
		b = appendPadded(append(b, '5'), d.shopifyOrd.at(x), 12)
	case kindTikTok:
		b = appendPadded(append(b, "57"...), d.tiktokOrd.at(x), 16)
	default:
		b = appendPadded(append(b, "KLW-"...), d.webOrd.at(x), 12)
	}
	return string(b)
}

// token returns a random-looking lower-case hex token unique for
// (stream, n, tag); used for cart, checkout and review ids.
func (d *ids) token(prefix string, stream uint32, n uint32, tag uint64) string {
	v := mix64(uint64(stream)<<32|uint64(n)) ^ mix64(d.seed^tag)
	// mix64 of a unique value xor a constant is still unique per tag.
	b := make([]byte, 0, len(prefix)+16)
	b = append(b, prefix...)
	for i := 60; i >= 0; i -= 4 {
		b = append(b, hexDigits[(v>>uint(i))&15])
	}
	return string(b)
}
