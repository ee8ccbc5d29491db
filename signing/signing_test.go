package signing_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit/signing"
)

// Independent vectors. Each expected value below was computed outside Go with
// python3's hmac module, in a one-off shell command, e.g.
//
//	python3 -c 'import hmac,hashlib; print(hmac.new(b"gp_secret_key", b"1583327301." + BODY, hashlib.sha256).hexdigest())'
const (
	gigapaySecret = "gp_secret_key"
	gigapayUnix   = 1583327301 // the timestamp of the seed's documented example
	gigapayBody   = `{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`
	// hmac.new(b"gp_secret_key", b"1583327301." + gigapayBody, sha256).hexdigest()
	gigapaySig = "cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3"

	gigstackSecret = "gigstack_secret"
	gigstackBody   = `{"id":"evt_1","event":"payment.succeeded","timestamp":"2024-01-15T10:30:00.000Z","data":{"amount":1160}}`
	// hmac.new(b"gigstack_secret", gigstackBody, sha256).hexdigest()
	gigstackSig = "8cdccea5d1677f0dc790bcd51794997eb36431c044367af7fb946fa3d873405f"

	// Memento's published test vector (specs/other-seeds.md §4), reproduced with python3 hmac.
	mementoKey = "um2JjfnJbEUJnCpjKiV94jqp"
	mementoMsg = "3e6975e8-77cb-48b7-7722-3dfe47677bbc&a917be59-f35a-478f-a5d9-19bf467972ad&abc123&2199&paid&1458748422"
	mementoSig = "8022cb71924dba2e24f849fdc83596e80a3966465f6b3f1702326afa31229b11"
	// A rejected request (no transaction id, so "&&") with a fractional amount:
	// hmac.new(key, b"3e6975e8-77cb-48b7-7722-3dfe47677bbc&&abc123&10.99&rejected&1458748422", sha256).hexdigest()
	mementoRejectedSig = "41cfc2d371c55a0112191f24667b1e6ce3230b87231eddc62bb3f1086c947ad5"

	// The Standard Webhooks test vector used by the standard-webhooks reference
	// libraries' tests. Recomputed independently with python3:
	// base64(hmac.new(b64decode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
	//   b'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}', sha256).digest())
	standardSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
	standardMsgID  = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	standardUnix   = 1614265330
	standardBody   = `{"test": 2432232314}`
	standardSig    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
)

// requireSigErr asserts err wraps target and none of the other verification
// errors.
func requireSigErr(tb testing.TB, err, target error) {
	tb.Helper()
	require.Error(tb, err)
	require.ErrorIs(tb, err, target)
	for _, other := range []error{signing.ErrInvalidSignature, signing.ErrStaleTimestamp, signing.ErrMalformedHeader, signing.ErrInvalidSecret} {
		if other != target {
			require.False(tb, errors.Is(err, other), "error %v must not also be %v", err, other)
		}
	}
}

func TestSignGigapay(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got := signing.SignGigapay(gigapaySecret, time.Unix(gigapayUnix, 0), []byte(gigapayBody))
		require.Equal(t, "t=1583327301,v1="+gigapaySig, got)
	})
	t.Run("OKZoneIndependent", func(t *testing.T) {
		ts := time.Unix(gigapayUnix, 0).In(time.FixedZone("CET", 3600))
		require.Equal(t, "t=1583327301,v1="+gigapaySig, signing.SignGigapay(gigapaySecret, ts, []byte(gigapayBody)))
	})
}

func TestVerifyGigapay(t *testing.T) {
	body := []byte(gigapayBody)
	ts := time.Unix(gigapayUnix, 0)
	header := signing.SignGigapay(gigapaySecret, ts, body)
	other := signing.SignGigapay("old_secret", ts, body)
	otherV1 := other[strings.Index(other, "v1="):]

	ok := []struct {
		name, header string
		now          time.Time
		tolerance    time.Duration
	}{
		{"OK", header, ts, 0},
		{"OKDocumentedShape", "t=1583327301,v1=" + gigapaySig, ts, 0},
		{"OKUppercaseHex", "t=1583327301,v1=" + strings.ToUpper(gigapaySig), ts, 0},
		{"OKReordered", "v1=" + gigapaySig + ",t=1583327301", ts, 0},
		{"OKSpaces", " t=1583327301 , v1=" + gigapaySig + " ", ts, 0},
		{"OKMultipleV1", "t=1583327301," + otherV1 + ",v1=" + gigapaySig, ts, 0},
		{"OKMultipleV1MatchFirst", "t=1583327301,v1=" + gigapaySig + "," + otherV1, ts, 0},
		{"OKUnknownSchemeIgnored", "t=1583327301,v0=abc,v1=" + gigapaySig, ts, 0},
		{"OKNotHexV1Ignored", "t=1583327301,v1=zz,v1=" + gigapaySig, ts, 0},
		{"OKLateAtDefaultTolerance", header, ts.Add(signing.DefaultTolerance), 0},
		{"OKEarlyAtDefaultTolerance", header, ts.Add(-signing.DefaultTolerance), 0},
		{"OKNegativeToleranceIsDefault", header, ts.Add(4 * time.Minute), -time.Second},
		{"OKCustomTolerance", header, ts.Add(time.Hour), 2 * time.Hour},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, signing.VerifyGigapay(tc.header, body, gigapaySecret, tc.now, tc.tolerance))
		})
	}

	bad := []struct {
		name, header, secret string
		body                 []byte
		now                  time.Time
		tolerance            time.Duration
		want                 error
	}{
		{"ErrTamperedBody", header, gigapaySecret, []byte(strings.Replace(gigapayBody, "Karl", "Carl", 1)), ts, 0, signing.ErrInvalidSignature},
		{"ErrBodyWhitespace", header, gigapaySecret, append(body, '\n'), ts, 0, signing.ErrInvalidSignature},
		{"ErrWrongSecret", header, "wrong", body, ts, 0, signing.ErrInvalidSignature},
		{"ErrTamperedTimestamp", strings.Replace(header, "t=1583327301", "t=1583327302", 1), gigapaySecret, body, ts, 0, signing.ErrInvalidSignature},
		{"ErrOnlyOtherSecrets", "t=1583327301," + otherV1, gigapaySecret, body, ts, 0, signing.ErrInvalidSignature},
		{"ErrNoV1", "t=1583327301,v0=" + gigapaySig, gigapaySecret, body, ts, 0, signing.ErrInvalidSignature},
		{"ErrEmptyV1", "t=1583327301,v1=", gigapaySecret, body, ts, 0, signing.ErrInvalidSignature},
		{"ErrStale", header, gigapaySecret, body, ts.Add(signing.DefaultTolerance + time.Second), 0, signing.ErrStaleTimestamp},
		{"ErrFuture", header, gigapaySecret, body, ts.Add(-signing.DefaultTolerance - time.Second), 0, signing.ErrStaleTimestamp},
		{"ErrStaleCustomTolerance", header, gigapaySecret, body, ts.Add(31 * time.Second), 30 * time.Second, signing.ErrStaleTimestamp},
		{"ErrStaleFarFuture", signing.SignGigapay(gigapaySecret, time.Unix(1<<62, 0), body), gigapaySecret, body, ts, 0, signing.ErrStaleTimestamp},
		{"ErrMalformedEmpty", "", gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedBlank", "   ", gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedGarbage", "garbage", gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedNoT", "v1=" + gigapaySig, gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedTNotInt", "t=abc,v1=" + gigapaySig, gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedTwoT", "t=1583327301,t=1583327301,v1=" + gigapaySig, gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedSemicolons", "t=1583327301;v1=" + gigapaySig, gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
		{"ErrMalformedTrailingComma", header + ",", gigapaySecret, body, ts, 0, signing.ErrMalformedHeader},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, signing.VerifyGigapay(tc.header, tc.body, tc.secret, tc.now, tc.tolerance), tc.want)
		})
	}

	t.Run("ErrStaleSaysWhy", func(t *testing.T) {
		err := signing.VerifyGigapay(header, body, gigapaySecret, ts.Add(10*time.Minute), 0)
		require.ErrorContains(t, err, "1583327301")
		require.ErrorContains(t, err, "10m0s")
		require.ErrorIs(t, err, signing.ErrStaleTimestamp)
	})
}

func TestSignGigstack(t *testing.T) {
	require.Equal(t, gigstackSig, signing.SignGigstack(gigstackSecret, []byte(gigstackBody)))
}

func TestVerifyGigstack(t *testing.T) {
	body := []byte(gigstackBody)
	t.Run("OK", func(t *testing.T) {
		require.NoError(t, signing.VerifyGigstack(gigstackSig, body, gigstackSecret))
	})
	t.Run("OKUppercase", func(t *testing.T) {
		require.NoError(t, signing.VerifyGigstack(strings.ToUpper(gigstackSig), body, gigstackSecret))
	})
	t.Run("OKSurroundingSpace", func(t *testing.T) {
		require.NoError(t, signing.VerifyGigstack(" "+gigstackSig+" ", body, gigstackSecret))
	})
	for _, tc := range []struct {
		name, header, secret string
		body                 []byte
		want                 error
	}{
		{"ErrTamperedBody", gigstackSig, gigstackSecret, []byte(strings.Replace(gigstackBody, "1160", "1161", 1)), signing.ErrInvalidSignature},
		{"ErrWrongSecret", gigstackSig, "wrong", body, signing.ErrInvalidSignature},
		{"ErrTruncated", gigstackSig[:62], gigstackSecret, body, signing.ErrInvalidSignature},
		{"ErrEmpty", "", gigstackSecret, body, signing.ErrMalformedHeader},
		{"ErrNotHex", "sha256=" + gigstackSig, gigstackSecret, body, signing.ErrMalformedHeader},
		{"ErrOddLength", gigstackSig[:63], gigstackSecret, body, signing.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, signing.VerifyGigstack(tc.header, tc.body, tc.secret), tc.want)
		})
	}
}

func TestGigstackEnvelope(t *testing.T) {
	// 10:30 UTC, given in Mexico City time to check the conversion to UTC.
	ts := time.Date(2024, 1, 15, 4, 30, 0, 0, time.FixedZone("CST", -6*3600))

	t.Run("OK", func(t *testing.T) {
		b, err := signing.GigstackEnvelope("evt_1", "payment.succeeded", ts, json.RawMessage(`{ "amount": 1160 }`))
		require.NoError(t, err)
		require.Equal(t, gigstackBody, string(b))
		require.Equal(t, gigstackSig, signing.SignGigstack(gigstackSecret, b))
	})
	t.Run("OKMilliseconds", func(t *testing.T) {
		b, err := signing.GigstackEnvelope("evt_2", "invoice.created", time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.UTC), json.RawMessage(`{}`))
		require.NoError(t, err)
		require.Equal(t, `{"id":"evt_2","event":"invoice.created","timestamp":"2024-01-15T10:30:00.123Z","data":{}}`, string(b))
	})
	t.Run("OKNoHTMLEscaping", func(t *testing.T) {
		b, err := signing.GigstackEnvelope("evt_3", "customer.created", ts, json.RawMessage(`{"name":"A & B <x>"}`))
		require.NoError(t, err)
		require.Contains(t, string(b), `"data":{"name":"A & B <x>"}`)
	})
	t.Run("OKNilData", func(t *testing.T) {
		b, err := signing.GigstackEnvelope("evt_4", "payment.deleted", ts, nil)
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(string(b), `"data":null}`), string(b))
	})
	for _, tc := range []struct {
		name, id, event, data, says string
	}{
		{"ErrNoID", "", "payment.created", `{}`, "event id is required"},
		{"ErrNoEvent", "evt_1", "", `{}`, "event name is required"},
		{"ErrBadData", "evt_1", "payment.created", `{"amount":`, "data of event evt_1 is not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := signing.GigstackEnvelope(tc.id, tc.event, ts, json.RawMessage(tc.data))
			require.ErrorContains(t, err, tc.says)
			require.Nil(t, b)
		})
	}
}

// The callbacks of Memento's published vector and of the rejected one.
var (
	mementoPaid = signing.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
		TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad", Amount: "2199", Currency: "ISK", Status: "paid",
		Order: "abc123", Completed: 1458748422}
	mementoRejected = signing.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
		Amount: "10.99", Currency: "EUR", Status: "rejected", Order: "abc123", Completed: 1458748422}
)

// TestMementoCallback_Amount: the amount is signed in its shortest decimal form,
// however the JSON number was written.
func TestMementoCallback_Amount(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"10.99", "10.99"},
		{"2199", "2199"},
		{"10.50", "10.5"},
		{"2199.00", "2199"},
		{"21990e-1", "2199"},
		{"2199e2", "219900"},
		{"2199E+2", "219900"},
		{"0.10", "0.1"},
		{"0.000001", "0.000001"},
		{"1e-6", "0.000001"},
		{"1e3", "1000"},
		{"0", "0"},
		{"0.00", "0"},
		{"-0.0", "0"},
		{"-10.50", "-10.5"},
		// Not JSON numbers: signed as they are, so they fail to verify.
		{"", ""}, {"10.", "10."}, {"012", "012"}, {"1e", "1e"}, {"+1", "+1"}, {"1e99999", "1e99999"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			c := signing.MementoCallback{PaymentRequestID: "p", TransactionID: "t", Order: "o", Amount: json.Number(tc.in), Status: "paid", Completed: 1}
			require.Equal(t, "p&t&o&"+tc.want+"&paid&1", c.SignedString())
		})
	}
}

func TestMementoCallback_SignedString(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		require.Equal(t, mementoMsg, mementoPaid.SignedString())
	})
	t.Run("OKRejectedHasNoTransaction", func(t *testing.T) {
		require.Equal(t, "3e6975e8-77cb-48b7-7722-3dfe47677bbc&&abc123&10.99&rejected&1458748422", mementoRejected.SignedString())
	})
	t.Run("OKCurrencyNotSigned", func(t *testing.T) {
		c := mementoPaid
		c.Currency = "USD"
		require.Equal(t, mementoMsg, c.SignedString())
	})
}

func TestMementoCallback_Sign(t *testing.T) {
	t.Run("OKPublishedVector", func(t *testing.T) {
		require.Equal(t, mementoSig, mementoPaid.Sign(mementoKey))
	})
	t.Run("OKRejected", func(t *testing.T) {
		require.Equal(t, mementoRejectedSig, mementoRejected.Sign(mementoKey))
	})
	t.Run("OKAmountWithZeros", func(t *testing.T) {
		c := mementoPaid
		c.Amount = "2199.00"
		require.Equal(t, mementoSig, c.Sign(mementoKey))
	})
}

func TestMementoCallback_Verify(t *testing.T) {
	t.Run("OKDecodedBody", func(t *testing.T) {
		body := `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",` +
			`"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":2199,"currency":"ISK",` +
			`"status":"paid","order":"abc123","completed":1458748422,"signature":"` + mementoSig + `"}`
		var c signing.MementoCallback
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.Equal(t, mementoMsg, c.SignedString())
		require.NoError(t, c.Verify(mementoKey))
	})
	t.Run("OKFloatAmount", func(t *testing.T) {
		body := `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc","amount":10.99,"currency":"EUR",` +
			`"status":"rejected","order":"abc123","completed":1458748422,"signature":"` + mementoRejectedSig + `"}`
		var c signing.MementoCallback
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.NoError(t, c.Verify(mementoKey))
	})
	t.Run("OKDecodedAmountWithZeros", func(t *testing.T) {
		// A sender writing 2199.00 signed 2199, as the kit does.
		for _, amount := range []string{`2199.00`, `"2199.00"`, `2.199e3`} {
			body := `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",` +
				`"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":` + amount + `,"currency":"ISK",` +
				`"status":"paid","order":"abc123","completed":1458748422,"signature":"` + mementoSig + `"}`
			var c signing.MementoCallback
			require.NoError(t, json.Unmarshal([]byte(body), &c), amount)
			require.NoError(t, c.Verify(mementoKey), amount)
		}
	})
	t.Run("OK", func(t *testing.T) {
		c := mementoPaid
		c.Signature = mementoSig
		require.NoError(t, c.Verify(mementoKey))
	})
	t.Run("OKUppercase", func(t *testing.T) {
		// The Kass C# sample produces uppercase hex.
		c := mementoPaid
		c.Signature = strings.ToUpper(mementoSig)
		require.NoError(t, c.Verify(mementoKey))
	})
	for _, tc := range []struct {
		name, sig, key, txn, amount, status string
		want                                error
	}{
		{"ErrWrongKey", mementoSig, "wrong", mementoPaid.TransactionID, "2199", "paid", signing.ErrInvalidSignature},
		{"ErrTamperedAmount", mementoSig, mementoKey, mementoPaid.TransactionID, "2200", "paid", signing.ErrInvalidSignature},
		{"ErrTamperedAmountFraction", mementoSig, mementoKey, mementoPaid.TransactionID, "2199.01", "paid", signing.ErrInvalidSignature},
		{"ErrTamperedStatus", mementoSig, mementoKey, mementoPaid.TransactionID, "2199", "rejected", signing.ErrInvalidSignature},
		{"ErrMissingTransaction", mementoSig, mementoKey, "", "2199", "paid", signing.ErrInvalidSignature},
		{"ErrKassDocValue", "84f60f56", mementoKey, mementoPaid.TransactionID, "2199", "paid", signing.ErrInvalidSignature},
		{"ErrEmpty", "", mementoKey, mementoPaid.TransactionID, "2199", "paid", signing.ErrMalformedHeader},
		{"ErrNotHex", "not-hex", mementoKey, mementoPaid.TransactionID, "2199", "paid", signing.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := mementoPaid
			c.Signature, c.TransactionID, c.Amount, c.Status = tc.sig, tc.txn, json.Number(tc.amount), tc.status
			requireSigErr(t, c.Verify(tc.key), tc.want)
		})
	}
	t.Run("ErrUnsigned", func(t *testing.T) {
		requireSigErr(t, signing.MementoCallback{}.Verify(mementoKey), signing.ErrMalformedHeader)
	})
}

func TestMementoCallback_MarshalJSON(t *testing.T) {
	t.Run("OKPaid", func(t *testing.T) {
		c := mementoPaid
		c.Amount = "2199.00"
		c.Signature = c.Sign(mementoKey)
		require.Equal(t, mementoSig, c.Signature)

		b, err := json.Marshal(c)
		require.NoError(t, err)
		require.JSONEq(t, `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",
			"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":2199,"currency":"ISK",
			"status":"paid","order":"abc123","completed":1458748422,"signature":"`+mementoSig+`"}`, string(b))
		require.Contains(t, string(b), `"amount":2199,`) // a number in signed form, not "2199.00" or a string

		ptr, err := json.Marshal(&c)
		require.NoError(t, err)
		require.Equal(t, string(b), string(ptr))

		var back signing.MementoCallback
		require.NoError(t, json.Unmarshal(b, &back))
		require.NoError(t, back.Verify(mementoKey))
	})
	t.Run("OKRejectedOmitsTransaction", func(t *testing.T) {
		c := mementoRejected
		c.Signature = c.Sign(mementoKey)
		require.Equal(t, mementoRejectedSig, c.Signature)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		require.NotContains(t, string(b), "transaction_id")
		require.Contains(t, string(b), `"amount":10.99,`)
	})
	t.Run("ErrAmountNotANumber", func(t *testing.T) {
		c := mementoPaid
		c.Amount = "ten"
		_, err := json.Marshal(c)
		require.Error(t, err)
	})
}

func TestNewStandardSecret(t *testing.T) {
	a, b := signing.NewStandardSecret(), signing.NewStandardSecret()
	require.NotEqual(t, a, b)
	for _, s := range []string{a, b} {
		require.True(t, strings.HasPrefix(s, signing.StandardSecretPrefix), s)
		require.NoError(t, signing.CheckStandardSecret(s))
		require.NoError(t, signing.CheckStandardSecret(strings.TrimPrefix(s, signing.StandardSecretPrefix)))
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		require.NoError(t, err)
		require.Len(t, key, 24)
	}

	h := standardHeaders(t, a, "msg_1", time.Unix(standardUnix, 0), []byte(standardBody))
	require.NoError(t, signing.VerifyStandard(h, []byte(standardBody), a, time.Unix(standardUnix, 0), 0))
	requireSigErr(t, signing.VerifyStandard(h, []byte(standardBody), b, time.Unix(standardUnix, 0), 0), signing.ErrInvalidSignature)
}

func TestSignStandard(t *testing.T) {
	ts := time.Unix(standardUnix, 0)
	t.Run("OKPublishedVector", func(t *testing.T) {
		got, err := signing.SignStandard(standardSecret, standardMsgID, ts, []byte(standardBody))
		require.NoError(t, err)
		require.Equal(t, standardSig, got)
	})
	t.Run("OKWithoutPrefix", func(t *testing.T) {
		got, err := signing.SignStandard(strings.TrimPrefix(standardSecret, "whsec_"), standardMsgID, ts, []byte(standardBody))
		require.NoError(t, err)
		require.Equal(t, standardSig, got)
	})
	for _, secret := range []string{"whsec_not base64!", "whsec_", ""} {
		t.Run("ErrBadSecret/"+secret, func(t *testing.T) {
			_, err := signing.SignStandard(secret, standardMsgID, ts, []byte(standardBody))
			require.ErrorIs(t, err, signing.ErrInvalidSecret)
			require.ErrorIs(t, signing.CheckStandardSecret(secret), signing.ErrInvalidSecret)
		})
	}
}

// standardHeaders returns the headers a Standard Webhooks sender sets.
func standardHeaders(tb testing.TB, secret, msgID string, ts time.Time, body []byte) http.Header {
	tb.Helper()
	sig, err := signing.SignStandard(secret, msgID, ts, body)
	require.NoError(tb, err)
	h := http.Header{}
	h.Set(signing.StandardIDHeader, msgID)
	h.Set(signing.StandardTimestampHeader, fmt.Sprint(ts.Unix()))
	h.Set(signing.StandardSignatureHeader, sig)
	return h
}

func TestVerifyStandard(t *testing.T) {
	body := []byte(standardBody)
	ts := time.Unix(standardUnix, 0)
	with := func(name, value string) http.Header {
		h := standardHeaders(t, standardSecret, standardMsgID, ts, body)
		if value == "" {
			h.Del(name)
		} else {
			h.Set(name, value)
		}
		return h
	}
	oldSig, err := signing.SignStandard(signing.NewStandardSecret(), standardMsgID, ts, body)
	require.NoError(t, err)

	for _, tc := range []struct {
		name      string
		h         http.Header
		secret    string
		now       time.Time
		tolerance time.Duration
	}{
		{"OK", with(signing.StandardSignatureHeader, standardSig), standardSecret, ts, 0},
		{"OKSecretWithoutPrefix", with(signing.StandardSignatureHeader, standardSig), strings.TrimPrefix(standardSecret, "whsec_"), ts, 0},
		{"OKMultipleSignatures", with(signing.StandardSignatureHeader, oldSig+" "+standardSig), standardSecret, ts, 0},
		{"OKOtherVersionsIgnored", with(signing.StandardSignatureHeader, "v1a,"+strings.TrimPrefix(standardSig, "v1,")+" v2,abc "+standardSig), standardSecret, ts, 0},
		{"OKBadBase64Ignored", with(signing.StandardSignatureHeader, "v1,!!! "+standardSig), standardSecret, ts, 0},
		{"OKAtDefaultTolerance", with(signing.StandardSignatureHeader, standardSig), standardSecret, ts.Add(signing.DefaultTolerance), 0},
		{"OKCustomTolerance", with(signing.StandardSignatureHeader, standardSig), standardSecret, ts.Add(-time.Hour), 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, signing.VerifyStandard(tc.h, body, tc.secret, tc.now, tc.tolerance))
		})
	}

	for _, tc := range []struct {
		name   string
		h      http.Header
		body   string
		secret string
		now    time.Time
		want   error
	}{
		{"ErrTamperedBody", with("", ""), `{"test": 2432232315}`, standardSecret, ts, signing.ErrInvalidSignature},
		{"ErrWrongSecret", with("", ""), standardBody, signing.NewStandardSecret(), ts, signing.ErrInvalidSignature},
		{"ErrTamperedID", with(signing.StandardIDHeader, "msg_other"), standardBody, standardSecret, ts, signing.ErrInvalidSignature},
		{"ErrTamperedTimestamp", with(signing.StandardTimestampHeader, "1614265331"), standardBody, standardSecret, ts, signing.ErrInvalidSignature},
		{"ErrOnlyOtherSecret", with(signing.StandardSignatureHeader, oldSig), standardBody, standardSecret, ts, signing.ErrInvalidSignature},
		{"ErrNoV1", with(signing.StandardSignatureHeader, "v1a,"+strings.TrimPrefix(standardSig, "v1,")), standardBody, standardSecret, ts, signing.ErrInvalidSignature},
		{"ErrStale", with("", ""), standardBody, standardSecret, ts.Add(signing.DefaultTolerance + time.Second), signing.ErrStaleTimestamp},
		{"ErrFuture", with("", ""), standardBody, standardSecret, ts.Add(-signing.DefaultTolerance - time.Second), signing.ErrStaleTimestamp},
		{"ErrMissingID", with(signing.StandardIDHeader, ""), standardBody, standardSecret, ts, signing.ErrMalformedHeader},
		{"ErrMissingTimestamp", with(signing.StandardTimestampHeader, ""), standardBody, standardSecret, ts, signing.ErrMalformedHeader},
		{"ErrMissingSignature", with(signing.StandardSignatureHeader, ""), standardBody, standardSecret, ts, signing.ErrMalformedHeader},
		{"ErrTimestampNotInt", with(signing.StandardTimestampHeader, "2021-02-26T00:00:00Z"), standardBody, standardSecret, ts, signing.ErrMalformedHeader},
		{"ErrEntryWithoutComma", with(signing.StandardSignatureHeader, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), standardBody, standardSecret, ts, signing.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, signing.VerifyStandard(tc.h, []byte(tc.body), tc.secret, tc.now, 0), tc.want)
		})
	}

	t.Run("ErrBadSecret", func(t *testing.T) {
		requireSigErr(t, signing.VerifyStandard(with("", ""), body, "whsec_???", ts, 0), signing.ErrInvalidSecret)
	})
}

// ExampleSignGigapay shows the delivery side: the header value sent with a
// Gigapay webhook.
func ExampleSignGigapay() {
	body := []byte(`{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`)
	sent := time.Unix(1583327301, 0)
	fmt.Println(signing.GigapayHeader + ": " + signing.SignGigapay("gp_secret_key", sent, body))
	// Output:
	// Gigapay-Signature: t=1583327301,v1=cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3
}

// ExampleVerifyGigapay shows the receiving side: check the header against the raw
// body and the receiver's own clock.
func ExampleVerifyGigapay() {
	body := []byte(`{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`)
	header := "t=1583327301,v1=cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3"
	received := time.Unix(1583327301, 0).Add(3 * time.Second) // in a handler: time.Now()

	fmt.Println(signing.VerifyGigapay(header, body, "gp_secret_key", received, 0))

	err := signing.VerifyGigapay(header, body, "gp_secret_key", received.Add(time.Hour), 0)
	fmt.Println(errors.Is(err, signing.ErrStaleTimestamp))

	err = signing.VerifyGigapay(header, []byte(`{"id":"forged"}`), "gp_secret_key", received, 0)
	fmt.Println(errors.Is(err, signing.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
	// true
}

// ExampleMementoCallback_Sign reproduces Memento's published test vector: the
// delivery side of a notify_url callback.
func ExampleMementoCallback_Sign() {
	c := signing.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
		TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad", Amount: "2199", Currency: "ISK",
		Status: "paid", Order: "abc123", Completed: 1458748422}
	fmt.Println(c.Sign("um2JjfnJbEUJnCpjKiV94jqp"))
	// Output:
	// 8022cb71924dba2e24f849fdc83596e80a3966465f6b3f1702326afa31229b11
}

// ExampleMementoCallback shows a receiver decoding a notify_url callback and
// checking its signature with the merchant's access token.
func ExampleMementoCallback() {
	body := []byte(`{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",
		"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":2199,"currency":"ISK",
		"status":"paid","order":"abc123","completed":1458748422,
		"signature":"8022cb71924dba2e24f849fdc83596e80a3966465f6b3f1702326afa31229b11"}`)

	var c signing.MementoCallback
	if err := json.Unmarshal(body, &c); err != nil {
		panic(err)
	}
	fmt.Println(c.SignedString())
	fmt.Println(c.Verify("um2JjfnJbEUJnCpjKiV94jqp"))
	// Output:
	// 3e6975e8-77cb-48b7-7722-3dfe47677bbc&a917be59-f35a-478f-a5d9-19bf467972ad&abc123&2199&paid&1458748422
	// <nil>
}

// ExampleVerifyStandard checks the Standard Webhooks reference test vector.
func ExampleVerifyStandard() {
	h := http.Header{}
	h.Set(signing.StandardIDHeader, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(signing.StandardTimestampHeader, "1614265330")
	h.Set(signing.StandardSignatureHeader, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	fmt.Println(signing.VerifyStandard(h, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", time.Unix(1614265330, 0), 0))
	// Output:
	// <nil>
}
