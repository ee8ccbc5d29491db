package signing_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/paykit/paykit/signing"
)

// Fuzz targets of every verifier (issue 13): whatever a sender puts in the
// header, the body and the secret, a verifier never panics and never accepts
// a signature that is not the body's under the secret; and what the signer
// signs, the verifier accepts. The seeds are the documents' test vectors.

func FuzzVerifyGigapay(f *testing.F) {
	f.Add("t=1583327301,v1="+gigapaySig, []byte(gigapayBody), gigapaySecret, int64(gigapayUnix))
	f.Add("t=1583327301,v1=00,v1="+strings.ToUpper(gigapaySig), []byte(gigapayBody), gigapaySecret, int64(gigapayUnix+300))
	f.Add("v1=,t=", []byte(""), "", int64(0))
	f.Fuzz(func(t *testing.T, header string, body []byte, secret string, unix int64) {
		now := time.Unix(unix, 0)
		if err := signing.VerifyGigapay(header, body, secret, now, 0); err == nil {
			// Accepted: a v1 of the header is the body's signature at the
			// timestamp as the header writes it.
			good := false
			for _, part := range strings.Split(header, ",") {
				if ts, ok := strings.CutPrefix(strings.TrimSpace(part), "t="); ok {
					want := mac([]byte(secret), []byte(strings.TrimSpace(ts)+"."), body)
					good = good || strings.Contains(strings.ToLower(header), hex.EncodeToString(want))
				}
			}
			if !good {
				t.Fatalf("accepted %q for %q under %q", header, body, secret)
			}
		}
		at := time.Unix(unix%(1<<40), 0)
		if err := signing.VerifyGigapay(signing.SignGigapay(secret, at, body), body, secret, at, 0); err != nil {
			t.Fatalf("its own signature of %q under %q: %v", body, secret, err)
		}
		if err := signing.VerifyGigapay(signing.SignGigapay(secret, at, body), append(body, 'x'), secret, at, 0); err == nil {
			t.Fatalf("another body accepted")
		}
	})
}

// mac is HMAC-SHA256, computed apart from the kit's own.
func mac(key []byte, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, key)
	for _, p := range parts {
		h.Write(p)
	}
	return h.Sum(nil)
}

func FuzzVerifyGigstack(f *testing.F) {
	f.Add(gigstackSig, []byte(gigstackBody), gigstackSecret)
	f.Add(" sha256="+strings.ToUpper(gigstackSig)+" ", []byte(gigstackBody), gigstackSecret)
	f.Add("", []byte(""), "")
	f.Fuzz(func(t *testing.T, header string, body []byte, secret string) {
		want := signing.SignGigstack(secret, body)
		if err := signing.VerifyGigstack(header, body, secret); err == nil && !strings.Contains(strings.ToLower(header), want) {
			t.Fatalf("accepted %q for %q under %q", header, body, secret)
		}
		if err := signing.VerifyGigstack(want, body, secret); err != nil {
			t.Fatalf("its own signature of %q under %q: %v", body, secret, err)
		}
		if signing.VerifyGigstack(want, append(body, 'x'), secret) == nil {
			t.Fatalf("another body accepted")
		}
	})
}

func FuzzVerifyStandard(f *testing.F) {
	f.Add(standardMsgID, "1614265330", standardSig, []byte(standardBody), standardSecret, int64(standardUnix))
	f.Add("msg", "1614265330", "v1,xx v2,yy "+standardSig, []byte(standardBody), standardSecret, int64(standardUnix-60))
	f.Add("", "", "", []byte(""), "whsec_", int64(0))
	f.Fuzz(func(t *testing.T, id, ts, sig string, body []byte, secret string, unix int64) {
		h := http.Header{}
		h.Set(signing.StandardIDHeader, id)
		h.Set(signing.StandardTimestampHeader, ts)
		h.Set(signing.StandardSignatureHeader, sig)
		now := time.Unix(unix, 0)
		if err := signing.VerifyStandard(h, body, secret, now, 0); err == nil {
			// Accepted: a v1 of the header is the body's signature, with
			// the id and the timestamp as the headers write them.
			key, kerr := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
			want := base64.StdEncoding.EncodeToString(mac(key, []byte(h.Get(signing.StandardIDHeader)+"."+
				h.Get(signing.StandardTimestampHeader)+"."), body))
			if kerr != nil || !strings.Contains(h.Get(signing.StandardSignatureHeader), "v1,"+want) {
				t.Fatalf("accepted %q %q %q for %q under %q", id, ts, sig, body, secret)
			}
		}
		if signing.CheckStandardSecret(secret) != nil || strings.ContainsAny(id, "\r\n") || id == "" ||
			strings.TrimSpace(id) != id {
			return
		}
		at := time.Unix(unix%(1<<40), 0)
		own, err := signing.SignStandard(secret, id, at, body)
		if err != nil {
			t.Fatalf("sign: %v", err)
		}
		h.Set(signing.StandardIDHeader, id)
		h.Set(signing.StandardTimestampHeader, itoa(at.Unix()))
		h.Set(signing.StandardSignatureHeader, own)
		if err := signing.VerifyStandard(h, body, secret, at, 0); err != nil {
			t.Fatalf("its own signature of %q under %q: %v", body, secret, err)
		}
		if signing.VerifyStandard(h, append(body, 'x'), secret, at, 0) == nil {
			t.Fatalf("another body accepted")
		}
	})
}

func itoa(n int64) string { b, _ := json.Marshal(n); return string(b) }

func FuzzMementoCallbackVerify(f *testing.F) {
	paid := mementoPaid
	paid.Signature = mementoSig
	b, _ := json.Marshal(paid)
	f.Add(b, mementoKey)
	rejected := mementoRejected
	rejected.Signature = mementoRejectedSig
	b, _ = json.Marshal(rejected)
	f.Add(b, mementoKey)
	f.Add([]byte(`{"amount":21.99e2,"signature":"zz"}`), "")
	f.Fuzz(func(t *testing.T, body []byte, key string) {
		var c signing.MementoCallback
		if json.Unmarshal(body, &c) != nil {
			return
		}
		if err := c.Verify(key); err == nil && !strings.EqualFold(strings.TrimSpace(c.Signature), c.Sign(key)) {
			t.Fatalf("accepted %s under %q", body, key)
		}
		// Signed and sent, as the engine does: the receiver that decodes the
		// body verifies it. An empty amount, which no callback has, is signed
		// as it is (not a number: it never verifies), but encoding/json writes
		// an empty json.Number as 0 (the first thing this target found).
		if c.Amount == "" {
			return
		}
		c.Signature = c.Sign(key)
		sent, err := json.Marshal(c)
		if err != nil {
			return // an amount that is not a number: nothing is sent
		}
		var got signing.MementoCallback
		if err := json.Unmarshal(sent, &got); err != nil {
			t.Fatalf("the body sent does not decode: %s: %v", sent, err)
		}
		if err := got.Verify(key); err != nil {
			t.Fatalf("the body sent does not verify: %s: %v", sent, err)
		}
		got.Status += "x"
		if got.Verify(key) == nil {
			t.Fatalf("another status accepted")
		}
	})
}
