package paykit

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
)

// Sealing keeps the secrets paykit must be able to use again, not only check,
// out of reach of whoever reads the database alone. API keys are stored only
// hashed; but a Memento merchant's callbacks are signed with its API key itself
// (the document says so, and receivers verify with it), so the Service must
// keep that key in a usable form. It keeps it sealed: AES-256-GCM under a key
// the host gives with WithSealingKey, which lives outside the database (a file,
// an environment variable, a secrets manager). A copy of the database, a
// backup or an SQL injection then yields no key that authenticates.
//
// Stored forms: "sealed:v1:" and the base64 of nonce and ciphertext, bound to
// what it is the key of (its purpose, with the tenant's ID, as additional data,
// so that a sealed key moved to another tenant does not open); "plain:" and
// the value, when the Service has no sealing key; anything else is a value a
// version before sealing stored in the clear. See docs/decisions.md (Memento).

// SealingKeySize is the size of a sealing key: AES-256.
const SealingKeySize = 32

const (
	sealedPrefix = "sealed:v1:"
	plainPrefix  = "plain:"
)

// WithSealingKey sets the key (SealingKeySize random bytes) that seals the
// secrets the Service keeps in usable form: the merchants' callback signing
// keys. Without it they are stored in the clear, and a database leak exposes
// them (they are API keys). The key must stay the same for the life of the
// database: a value sealed under another key does not open, and the
// callbacks it signs are not sent (fan-out reports the error). It panics when
// key is not SealingKeySize bytes long, a mistake of the program.
func WithSealingKey(key []byte) Option {
	if len(key) != SealingKeySize {
		panic(fmt.Sprintf("paykit: WithSealingKey: the key has %d bytes, not %d", len(key), SealingKeySize))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic("paykit: WithSealingKey: " + err.Error())
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic("paykit: WithSealingKey: " + err.Error())
	}
	// The links of requests and employees are signed with a key derived from
	// it unless WithLinkKey gives one (links.go).
	links := deriveKey(key, "paykit link key v1")
	return func(s *Service) { s.sealer, s.links.sealed = aead, links }
}

// seal returns the stored form of value, the secret named by purpose ("" stays
// ""): sealed when the Service has a sealing key, else in the clear.
func (s *Service) seal(purpose, value string) string {
	if value == "" {
		return ""
	}
	if s.sealer == nil {
		s.warnUnsealed.Do(func() {
			s.log.Warn("paykit: no sealing key (WithSealingKey): merchants' signing keys, which are API keys, are stored in the clear")
		})
		return plainPrefix + value
	}
	nonce := make([]byte, s.sealer.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return sealedPrefix + base64.RawURLEncoding.EncodeToString(s.sealer.Seal(nonce, nonce, []byte(value), []byte(purpose)))
}

// open returns the secret whose stored form is stored. A sealed value needs the
// sealing key it was sealed under.
func (s *Service) open(purpose, stored string) (string, error) {
	switch {
	case strings.HasPrefix(stored, plainPrefix):
		return strings.TrimPrefix(stored, plainPrefix), nil
	case !strings.HasPrefix(stored, sealedPrefix):
		return stored, nil // stored in the clear before sealing existed
	case s.sealer == nil:
		return "", fmt.Errorf("open %s: it is sealed, and this Service has no sealing key (WithSealingKey)", purpose)
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(stored, sealedPrefix))
	if err != nil || len(b) < s.sealer.NonceSize() {
		return "", fmt.Errorf("open %s: the sealed value is malformed", purpose)
	}
	n := s.sealer.NonceSize()
	v, err := s.sealer.Open(nil, b[:n], b[n:], []byte(purpose))
	if err != nil {
		return "", fmt.Errorf("open %s: it was sealed under another sealing key, or for another purpose", purpose)
	}
	return string(v), nil
}
