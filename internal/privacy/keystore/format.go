package keystore

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
)

// File layout; see the package documentation.
const (
	fileName = "keys.slots"

	headerSize  = 4096 // header region; slots start on a page boundary
	copySize    = 128  // one header copy
	copyBOffset = 512  // the second copy sits in another sector
	slotSize    = 128  // so a slot never straddles a 4 KiB page

	formatVersion = 1

	stateEmpty     = 0 // never written by this version; a CRC-valid empty slot is corruption
	stateLive      = 1
	stateDestroyed = 2

	secretsLen = 64 // lookup key ‖ index key
	sealedKey  = 32 + 16
	nonceLen   = 12
)

// Offsets inside a header copy.
const (
	hMagic   = 0
	hFormat  = 8
	hSlot    = 12
	hHeader  = 16
	hMaster  = 20
	hNonce   = 24
	hSecrets = 36                         // sealed secrets, 64 + 16 bytes
	hCRC     = copySize - 4               // CRC-32C of bytes 0..124
	hAAD     = hNonce                     // bytes 0..24 are authenticated with the secrets
	hEnd     = hSecrets + secretsLen + 16 // 116; 116..124 reserved, zero
)

// Offsets inside a slot.
const (
	sState  = 0
	sMaster = 4
	sHash   = 8
	sNonce  = 40
	sSealed = 52
	sEnd    = sSealed + sealedKey // 100; 100..124 reserved, zero
	sCRC    = slotSize - 4
)

var (
	headerMagic = [8]byte{'T', 'W', 'N', 'D', 'K', 'E', 'Y', 'S'}
	slotDomain  = [8]byte{'T', 'W', 'N', 'D', 'S', 'L', 'O', 'T'}
	castagnoli  = crc32.MakeTable(crc32.Castagnoli)
)

// master is a master key ready for use: the key-encryption key derived from
// it, as an AEAD.
type master struct {
	version uint32
	aead    cipher.AEAD
	kek     [32]byte // kept to tell two different keys of one version apart
}

// kekInfo separates the derived key-encryption key from any other use an
// operator might make of the same master key.
const kekInfo = "tradewind keystore v1 key-encryption key"

func newMaster(m MasterKey) (*master, error) {
	kek, err := hkdf.Key(sha256.New, m.Key[:], nil, kekInfo, 32)
	if err != nil {
		return nil, err
	}
	a, err := newAEAD(kek)
	if err != nil {
		return nil, err
	}
	mk := &master{version: m.Version, aead: a}
	copy(mk.kek[:], kek)
	clear(kek)
	return mk, nil
}

func (m *master) sameKey(o *master) bool {
	return subtle.ConstantTimeCompare(m.kek[:], o.kek[:]) == 1
}

// newAEAD returns AES-256-GCM under key.
func newAEAD(key []byte) (cipher.AEAD, error) {
	b, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(b)
}

// mastersByVersion checks a list of master keys and indexes it.
func mastersByVersion(keys []MasterKey) (map[uint32]*master, *master, error) {
	if len(keys) == 0 {
		return nil, nil, errors.New("keystore: no master key given")
	}
	ms := make(map[uint32]*master, len(keys))
	var cur *master
	for _, k := range keys {
		if k.Version == 0 {
			return nil, nil, errors.New("keystore: master key version 0 is not allowed (versions start at 1)")
		}
		if _, dup := ms[k.Version]; dup {
			return nil, nil, fmt.Errorf("keystore: master key v%d is given twice", k.Version)
		}
		if k.Key == ([32]byte{}) {
			return nil, nil, fmt.Errorf("keystore: master key v%d is all zeros", k.Version)
		}
		m, err := newMaster(k)
		if err != nil {
			return nil, nil, fmt.Errorf("keystore: master key v%d: %w", k.Version, err)
		}
		ms[k.Version] = m
		if cur == nil || m.version > cur.version {
			cur = m
		}
	}
	return ms, cur, nil
}

// sealHeader fills one header copy: the store's secrets sealed under m, with
// the fixed fields before them as additional data.
func sealHeader(dst []byte, m *master, nonce []byte, secrets []byte) {
	clear(dst[:copySize])
	copy(dst[hMagic:], headerMagic[:])
	binary.LittleEndian.PutUint32(dst[hFormat:], formatVersion)
	binary.LittleEndian.PutUint32(dst[hSlot:], slotSize)
	binary.LittleEndian.PutUint32(dst[hHeader:], headerSize)
	binary.LittleEndian.PutUint32(dst[hMaster:], m.version)
	copy(dst[hNonce:], nonce)
	m.aead.Seal(dst[hSecrets:hSecrets], nonce, secrets, dst[:hAAD])
	binary.LittleEndian.PutUint32(dst[hCRC:], crc32.Checksum(dst[:hCRC], castagnoli))
}

// errDamaged marks a header copy whose bytes are broken (as opposed to one
// the given master keys cannot open); Open repairs it from the other copy.
var errDamaged = errors.New("damaged")

// openHeader checks one header copy and unseals the secrets from it.
func openHeader(b []byte, masters map[uint32]*master) (secrets []byte, version uint32, err error) {
	if [8]byte(b[hMagic:hMagic+8]) != headerMagic {
		return nil, 0, fmt.Errorf("%w: no key store magic", errDamaged)
	}
	if crc32.Checksum(b[:hCRC], castagnoli) != binary.LittleEndian.Uint32(b[hCRC:]) {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", errDamaged)
	}
	if f := binary.LittleEndian.Uint32(b[hFormat:]); f != formatVersion {
		return nil, 0, fmt.Errorf("format version %d is not supported (this build reads %d)", f, formatVersion)
	}
	if s, h := binary.LittleEndian.Uint32(b[hSlot:]), binary.LittleEndian.Uint32(b[hHeader:]); s != slotSize || h != headerSize {
		return nil, 0, fmt.Errorf("slot size %d / header size %d, this build uses %d / %d", s, h, slotSize, headerSize)
	}
	version = binary.LittleEndian.Uint32(b[hMaster:])
	m := masters[version]
	if m == nil {
		return nil, version, fmt.Errorf("%w: the header is wrapped under master key v%d, which was not given", ErrMasterMissing, version)
	}
	secrets, err = m.aead.Open(nil, b[hNonce:hNonce+nonceLen], b[hSecrets:hEnd], b[:hAAD])
	if err != nil {
		return nil, version, fmt.Errorf("%w: master key v%d does not open the header (a different key, or another store's file)", ErrWrongMaster, version)
	}
	return secrets, version, nil
}

// slotAAD is the additional data a slot's data key is sealed with: the slot
// id binds the wrapped key to its position, so slots cannot be swapped or
// copied elsewhere in the file; the subject hash binds it to its subject.
func slotAAD(dst *[8 + 8 + 4 + 32]byte, id uint64, version uint32, hash []byte) []byte {
	copy(dst[0:8], slotDomain[:])
	binary.LittleEndian.PutUint64(dst[8:16], id)
	binary.LittleEndian.PutUint32(dst[16:20], version)
	copy(dst[20:52], hash)
	return dst[:]
}

// slotCRC covers the slot id too, so a slot copied to another position fails
// the check even before anything is unsealed.
func slotCRC(b []byte, id uint64) uint32 {
	var idb [8]byte
	binary.LittleEndian.PutUint64(idb[:], id)
	return crc32.Update(crc32.Update(0, castagnoli, idb[:]), castagnoli, b[:sCRC])
}

func slotValid(b []byte, id uint64) bool {
	return slotCRC(b, id) == binary.LittleEndian.Uint32(b[sCRC:])
}

// sealSlot fills a live slot: dataKey sealed under m.
func sealSlot(dst []byte, id uint64, m *master, hash []byte, nonce, dataKey []byte) {
	clear(dst[:slotSize])
	dst[sState] = stateLive
	binary.LittleEndian.PutUint32(dst[sMaster:], m.version)
	copy(dst[sHash:sHash+32], hash)
	copy(dst[sNonce:sNonce+nonceLen], nonce)
	var aad [52]byte
	m.aead.Seal(dst[sSealed:sSealed], nonce, dataKey, slotAAD(&aad, id, m.version, hash))
	binary.LittleEndian.PutUint32(dst[sCRC:], slotCRC(dst, id))
}

// destroyedSlot fills dst with a destroyed slot: random bytes where the
// subject hash and the wrapped key were, and the destroyed state.
func destroyedSlot(dst []byte, id uint64, random []byte) {
	copy(dst[:sCRC], random)
	dst[sState] = stateDestroyed
	binary.LittleEndian.PutUint32(dst[sCRC:], slotCRC(dst, id))
}

// unsealSlot returns the data key of a live, checked slot.
func unsealSlot(b []byte, id uint64, m *master) ([]byte, error) {
	var aad [52]byte
	return m.aead.Open(nil, b[sNonce:sNonce+nonceLen], b[sSealed:sEnd], slotAAD(&aad, id, m.version, b[sHash:sHash+32]))
}
