package paykit_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"

	"github.com/paykit/paykit"
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

// requireSigErr asserts err wraps target and carries the unauthorized code.
func requireSigErr(tb testing.TB, err, target error) {
	tb.Helper()
	require.Error(tb, err)
	require.ErrorIs(tb, err, target)
	require.Equal(tb, paykit.EUNAUTHORIZED, paykit.ErrorCode(err))
}

func TestSignGigapay(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got := paykit.SignGigapay(gigapaySecret, time.Unix(gigapayUnix, 0), []byte(gigapayBody))
		require.Equal(t, "t=1583327301,v1="+gigapaySig, got)
	})
	t.Run("OKZoneIndependent", func(t *testing.T) {
		ts := time.Unix(gigapayUnix, 0).In(time.FixedZone("CET", 3600))
		require.Equal(t, "t=1583327301,v1="+gigapaySig, paykit.SignGigapay(gigapaySecret, ts, []byte(gigapayBody)))
	})
}

func TestVerifyGigapay(t *testing.T) {
	body := []byte(gigapayBody)
	ts := time.Unix(gigapayUnix, 0)
	header := paykit.SignGigapay(gigapaySecret, ts, body)
	other := paykit.SignGigapay("old_secret", ts, body)
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
		{"OKLateAtDefaultTolerance", header, ts.Add(paykit.DefaultTolerance), 0},
		{"OKEarlyAtDefaultTolerance", header, ts.Add(-paykit.DefaultTolerance), 0},
		{"OKNegativeToleranceIsDefault", header, ts.Add(4 * time.Minute), -time.Second},
		{"OKCustomTolerance", header, ts.Add(time.Hour), 2 * time.Hour},
	}
	for _, tc := range ok {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, paykit.VerifyGigapay(tc.header, body, gigapaySecret, tc.now, tc.tolerance))
		})
	}

	bad := []struct {
		name, header, secret string
		body                 []byte
		now                  time.Time
		tolerance            time.Duration
		want                 error
	}{
		{"ErrTamperedBody", header, gigapaySecret, []byte(strings.Replace(gigapayBody, "Karl", "Carl", 1)), ts, 0, paykit.ErrInvalidSignature},
		{"ErrBodyWhitespace", header, gigapaySecret, append(body, '\n'), ts, 0, paykit.ErrInvalidSignature},
		{"ErrWrongSecret", header, "wrong", body, ts, 0, paykit.ErrInvalidSignature},
		{"ErrTamperedTimestamp", strings.Replace(header, "t=1583327301", "t=1583327302", 1), gigapaySecret, body, ts, 0, paykit.ErrInvalidSignature},
		{"ErrOnlyOtherSecrets", "t=1583327301," + otherV1, gigapaySecret, body, ts, 0, paykit.ErrInvalidSignature},
		{"ErrNoV1", "t=1583327301,v0=" + gigapaySig, gigapaySecret, body, ts, 0, paykit.ErrInvalidSignature},
		{"ErrEmptyV1", "t=1583327301,v1=", gigapaySecret, body, ts, 0, paykit.ErrInvalidSignature},
		{"ErrStale", header, gigapaySecret, body, ts.Add(paykit.DefaultTolerance + time.Second), 0, paykit.ErrStaleTimestamp},
		{"ErrFuture", header, gigapaySecret, body, ts.Add(-paykit.DefaultTolerance - time.Second), 0, paykit.ErrStaleTimestamp},
		{"ErrStaleCustomTolerance", header, gigapaySecret, body, ts.Add(31 * time.Second), 30 * time.Second, paykit.ErrStaleTimestamp},
		{"ErrStaleFarFuture", paykit.SignGigapay(gigapaySecret, time.Unix(1<<62, 0), body), gigapaySecret, body, ts, 0, paykit.ErrStaleTimestamp},
		{"ErrMalformedEmpty", "", gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedBlank", "   ", gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedGarbage", "garbage", gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedNoT", "v1=" + gigapaySig, gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedTNotInt", "t=abc,v1=" + gigapaySig, gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedTwoT", "t=1583327301,t=1583327301,v1=" + gigapaySig, gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedSemicolons", "t=1583327301;v1=" + gigapaySig, gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
		{"ErrMalformedTrailingComma", header + ",", gigapaySecret, body, ts, 0, paykit.ErrMalformedHeader},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			err := paykit.VerifyGigapay(tc.header, tc.body, tc.secret, tc.now, tc.tolerance)
			requireSigErr(t, err, tc.want)
			for _, other := range []error{paykit.ErrInvalidSignature, paykit.ErrStaleTimestamp, paykit.ErrMalformedHeader} {
				if other != tc.want {
					require.False(t, errors.Is(err, other), "error %v must not also be %v", err, other)
				}
			}
		})
	}

	t.Run("ErrStaleSaysWhy", func(t *testing.T) {
		err := paykit.VerifyGigapay(header, body, gigapaySecret, ts.Add(10*time.Minute), 0)
		require.ErrorContains(t, err, "1583327301")
		require.ErrorContains(t, err, "10m0s")
		require.Equal(t, "Signature timestamp is outside the tolerance.", paykit.ErrorMessage(err))
	})
}

func TestSignGigstack(t *testing.T) {
	require.Equal(t, gigstackSig, paykit.SignGigstack(gigstackSecret, []byte(gigstackBody)))
}

func TestVerifyGigstack(t *testing.T) {
	body := []byte(gigstackBody)
	t.Run("OK", func(t *testing.T) {
		require.NoError(t, paykit.VerifyGigstack(gigstackSig, body, gigstackSecret))
	})
	t.Run("OKUppercase", func(t *testing.T) {
		require.NoError(t, paykit.VerifyGigstack(strings.ToUpper(gigstackSig), body, gigstackSecret))
	})
	t.Run("OKSurroundingSpace", func(t *testing.T) {
		require.NoError(t, paykit.VerifyGigstack(" "+gigstackSig+" ", body, gigstackSecret))
	})
	for _, tc := range []struct {
		name, header, secret string
		body                 []byte
		want                 error
	}{
		{"ErrTamperedBody", gigstackSig, gigstackSecret, []byte(strings.Replace(gigstackBody, "1160", "1161", 1)), paykit.ErrInvalidSignature},
		{"ErrWrongSecret", gigstackSig, "wrong", body, paykit.ErrInvalidSignature},
		{"ErrTruncated", gigstackSig[:62], gigstackSecret, body, paykit.ErrInvalidSignature},
		{"ErrEmpty", "", gigstackSecret, body, paykit.ErrMalformedHeader},
		{"ErrNotHex", "sha256=" + gigstackSig, gigstackSecret, body, paykit.ErrMalformedHeader},
		{"ErrOddLength", gigstackSig[:63], gigstackSecret, body, paykit.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, paykit.VerifyGigstack(tc.header, tc.body, tc.secret), tc.want)
		})
	}
}

func TestGigstackEnvelope(t *testing.T) {
	// 10:30 UTC, given in Mexico City time to check the conversion to UTC.
	ts := time.Date(2024, 1, 15, 4, 30, 0, 0, time.FixedZone("CST", -6*3600))

	t.Run("OK", func(t *testing.T) {
		b, err := paykit.GigstackEnvelope("evt_1", "payment.succeeded", ts, json.RawMessage(`{ "amount": 1160 }`))
		require.NoError(t, err)
		require.Equal(t, gigstackBody, string(b))
		require.Equal(t, gigstackSig, paykit.SignGigstack(gigstackSecret, b))
	})
	t.Run("OKMilliseconds", func(t *testing.T) {
		b, err := paykit.GigstackEnvelope("evt_2", "invoice.created", time.Date(2024, 1, 15, 10, 30, 0, 123456789, time.UTC), json.RawMessage(`{}`))
		require.NoError(t, err)
		require.Equal(t, `{"id":"evt_2","event":"invoice.created","timestamp":"2024-01-15T10:30:00.123Z","data":{}}`, string(b))
	})
	t.Run("OKNoHTMLEscaping", func(t *testing.T) {
		b, err := paykit.GigstackEnvelope("evt_3", "customer.created", ts, json.RawMessage(`{"name":"A & B <x>"}`))
		require.NoError(t, err)
		require.Contains(t, string(b), `"data":{"name":"A & B <x>"}`)
	})
	t.Run("OKNilData", func(t *testing.T) {
		b, err := paykit.GigstackEnvelope("evt_4", "payment.deleted", ts, nil)
		require.NoError(t, err)
		require.True(t, strings.HasSuffix(string(b), `"data":null}`), string(b))
	})
	for _, tc := range []struct {
		name, id, event, data, field string
	}{
		{"ErrNoID", "", "payment.created", `{}`, "id"},
		{"ErrNoEvent", "evt_1", "", `{}`, "event"},
		{"ErrBadData", "evt_1", "payment.created", `{"amount":`, "data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := paykit.GigstackEnvelope(tc.id, tc.event, ts, json.RawMessage(tc.data))
			require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err))
			require.Contains(t, paykit.ErrorFields(err), tc.field)
		})
	}
}

func TestMementoAmount(t *testing.T) {
	for _, tc := range []struct {
		in   decimal.Decimal
		want string
	}{
		{decimal.RequireFromString("10.99"), "10.99"},
		{decimal.NewFromInt(2199), "2199"},
		{decimal.RequireFromString("10.50"), "10.5"},
		{decimal.RequireFromString("2199.00"), "2199"},
		{decimal.New(21990, -1), "2199"},
		{decimal.New(2199, 2), "219900"},
		{decimal.RequireFromString("0.10"), "0.1"},
		{decimal.RequireFromString("0.000001"), "0.000001"},
		{decimal.RequireFromString("1e3"), "1000"},
		{decimal.Zero, "0"},
	} {
		t.Run(tc.want, func(t *testing.T) {
			require.Equal(t, tc.want, paykit.MementoAmount(tc.in))
		})
	}
}

func TestMementoSignedString(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		got := paykit.MementoSignedString("3e6975e8-77cb-48b7-7722-3dfe47677bbc", "a917be59-f35a-478f-a5d9-19bf467972ad",
			"abc123", "2199", "paid", 1458748422)
		require.Equal(t, mementoMsg, got)
	})
	t.Run("OKRejectedHasNoTransaction", func(t *testing.T) {
		got := paykit.MementoSignedString("3e6975e8-77cb-48b7-7722-3dfe47677bbc", "", "abc123", "10.99", "rejected", 1458748422)
		require.Equal(t, "3e6975e8-77cb-48b7-7722-3dfe47677bbc&&abc123&10.99&rejected&1458748422", got)
	})
}

func TestSignMemento(t *testing.T) {
	t.Run("OKPublishedVector", func(t *testing.T) {
		got := paykit.SignMemento(mementoKey, "3e6975e8-77cb-48b7-7722-3dfe47677bbc", "a917be59-f35a-478f-a5d9-19bf467972ad",
			"abc123", "2199", "paid", 1458748422)
		require.Equal(t, mementoSig, got)
	})
	t.Run("OKRejected", func(t *testing.T) {
		got := paykit.SignMemento(mementoKey, "3e6975e8-77cb-48b7-7722-3dfe47677bbc", "", "abc123", "10.99", "rejected", 1458748422)
		require.Equal(t, mementoRejectedSig, got)
	})
}

func TestVerifyMemento(t *testing.T) {
	const (
		id  = "3e6975e8-77cb-48b7-7722-3dfe47677bbc"
		txn = "a917be59-f35a-478f-a5d9-19bf467972ad"
	)
	t.Run("OK", func(t *testing.T) {
		require.NoError(t, paykit.VerifyMemento(mementoSig, mementoKey, id, txn, "abc123", "2199", "paid", 1458748422))
	})
	t.Run("OKUppercase", func(t *testing.T) {
		// The Kass C# sample produces uppercase hex.
		require.NoError(t, paykit.VerifyMemento(strings.ToUpper(mementoSig), mementoKey, id, txn, "abc123", "2199", "paid", 1458748422))
	})
	for _, tc := range []struct {
		name, sig, key, txn, amount, status string
		want                                error
	}{
		{"ErrWrongKey", mementoSig, "wrong", txn, "2199", "paid", paykit.ErrInvalidSignature},
		{"ErrTamperedAmount", mementoSig, mementoKey, txn, "2199.00", "paid", paykit.ErrInvalidSignature},
		{"ErrTamperedStatus", mementoSig, mementoKey, txn, "2199", "rejected", paykit.ErrInvalidSignature},
		{"ErrMissingTransaction", mementoSig, mementoKey, "", "2199", "paid", paykit.ErrInvalidSignature},
		{"ErrKassDocValue", "84f60f56", mementoKey, txn, "2199", "paid", paykit.ErrInvalidSignature},
		{"ErrEmpty", "", mementoKey, txn, "2199", "paid", paykit.ErrMalformedHeader},
		{"ErrNotHex", "not-hex", mementoKey, txn, "2199", "paid", paykit.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, paykit.VerifyMemento(tc.sig, tc.key, id, tc.txn, "abc123", tc.amount, tc.status, 1458748422), tc.want)
		})
	}
}

func TestMementoCallback_Verify(t *testing.T) {
	t.Run("OKDecodedBody", func(t *testing.T) {
		body := `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc",` +
			`"transaction_id":"a917be59-f35a-478f-a5d9-19bf467972ad","amount":2199,"currency":"ISK",` +
			`"status":"paid","order":"abc123","completed":1458748422,"signature":"` + mementoSig + `"}`
		var c paykit.MementoCallback
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.Equal(t, mementoMsg, c.SignedString())
		require.NoError(t, c.Verify(mementoKey))
	})
	t.Run("OKFloatAmount", func(t *testing.T) {
		body := `{"payment_request_id":"3e6975e8-77cb-48b7-7722-3dfe47677bbc","amount":10.99,"currency":"EUR",` +
			`"status":"rejected","order":"abc123","completed":1458748422,"signature":"` + mementoRejectedSig + `"}`
		var c paykit.MementoCallback
		require.NoError(t, json.Unmarshal([]byte(body), &c))
		require.NoError(t, c.Verify(mementoKey))
	})
	t.Run("ErrTampered", func(t *testing.T) {
		c := paykit.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
			TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad", Amount: decimal.NewFromInt(2200),
			Currency: "ISK", Status: "paid", Order: "abc123", Completed: 1458748422, Signature: mementoSig}
		requireSigErr(t, c.Verify(mementoKey), paykit.ErrInvalidSignature)
	})
	t.Run("ErrUnsigned", func(t *testing.T) {
		requireSigErr(t, paykit.MementoCallback{}.Verify(mementoKey), paykit.ErrMalformedHeader)
	})
}

func TestMementoCallback_MarshalJSON(t *testing.T) {
	t.Run("OKPaid", func(t *testing.T) {
		c := paykit.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
			TransactionID: "a917be59-f35a-478f-a5d9-19bf467972ad", Amount: decimal.RequireFromString("2199.00"),
			Currency: "ISK", Status: "paid", Order: "abc123", Completed: 1458748422}
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

		var back paykit.MementoCallback
		require.NoError(t, json.Unmarshal(b, &back))
		require.NoError(t, back.Verify(mementoKey))
	})
	t.Run("OKRejectedOmitsTransaction", func(t *testing.T) {
		c := paykit.MementoCallback{PaymentRequestID: "3e6975e8-77cb-48b7-7722-3dfe47677bbc",
			Amount: decimal.RequireFromString("10.99"), Currency: "EUR", Status: "rejected", Order: "abc123", Completed: 1458748422}
		c.Signature = c.Sign(mementoKey)
		require.Equal(t, mementoRejectedSig, c.Signature)
		b, err := json.Marshal(c)
		require.NoError(t, err)
		require.NotContains(t, string(b), "transaction_id")
		require.Contains(t, string(b), `"amount":10.99,`)
	})
}

func TestNewStandardSecret(t *testing.T) {
	a, b := paykit.NewStandardSecret(), paykit.NewStandardSecret()
	require.NotEqual(t, a, b)
	for _, s := range []string{a, b} {
		require.True(t, strings.HasPrefix(s, "whsec_"), s)
		key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_"))
		require.NoError(t, err)
		require.Len(t, key, 24)
	}

	h := standardHeaders(t, a, "msg_1", time.Unix(standardUnix, 0), []byte(standardBody))
	require.NoError(t, paykit.VerifyStandard(h, []byte(standardBody), a, time.Unix(standardUnix, 0), 0))
	requireSigErr(t, paykit.VerifyStandard(h, []byte(standardBody), b, time.Unix(standardUnix, 0), 0), paykit.ErrInvalidSignature)
}

func TestSignStandard(t *testing.T) {
	ts := time.Unix(standardUnix, 0)
	t.Run("OKPublishedVector", func(t *testing.T) {
		got, err := paykit.SignStandard(standardSecret, standardMsgID, ts, []byte(standardBody))
		require.NoError(t, err)
		require.Equal(t, standardSig, got)
	})
	t.Run("OKWithoutPrefix", func(t *testing.T) {
		got, err := paykit.SignStandard(strings.TrimPrefix(standardSecret, "whsec_"), standardMsgID, ts, []byte(standardBody))
		require.NoError(t, err)
		require.Equal(t, standardSig, got)
	})
	for _, secret := range []string{"whsec_not base64!", "whsec_", ""} {
		t.Run("ErrBadSecret/"+secret, func(t *testing.T) {
			_, err := paykit.SignStandard(secret, standardMsgID, ts, []byte(standardBody))
			require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err))
		})
	}
}

// standardHeaders returns the headers a Standard Webhooks sender sets.
func standardHeaders(tb testing.TB, secret, msgID string, ts time.Time, body []byte) http.Header {
	tb.Helper()
	sig, err := paykit.SignStandard(secret, msgID, ts, body)
	require.NoError(tb, err)
	h := http.Header{}
	h.Set(paykit.StandardIDHeader, msgID)
	h.Set(paykit.StandardTimestampHeader, fmt.Sprint(ts.Unix()))
	h.Set(paykit.StandardSignatureHeader, sig)
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
	oldSig, err := paykit.SignStandard(paykit.NewStandardSecret(), standardMsgID, ts, body)
	require.NoError(t, err)

	for _, tc := range []struct {
		name      string
		h         http.Header
		secret    string
		now       time.Time
		tolerance time.Duration
	}{
		{"OK", with(paykit.StandardSignatureHeader, standardSig), standardSecret, ts, 0},
		{"OKSecretWithoutPrefix", with(paykit.StandardSignatureHeader, standardSig), strings.TrimPrefix(standardSecret, "whsec_"), ts, 0},
		{"OKMultipleSignatures", with(paykit.StandardSignatureHeader, oldSig+" "+standardSig), standardSecret, ts, 0},
		{"OKOtherVersionsIgnored", with(paykit.StandardSignatureHeader, "v1a,"+strings.TrimPrefix(standardSig, "v1,")+" v2,abc "+standardSig), standardSecret, ts, 0},
		{"OKBadBase64Ignored", with(paykit.StandardSignatureHeader, "v1,!!! "+standardSig), standardSecret, ts, 0},
		{"OKAtDefaultTolerance", with(paykit.StandardSignatureHeader, standardSig), standardSecret, ts.Add(paykit.DefaultTolerance), 0},
		{"OKCustomTolerance", with(paykit.StandardSignatureHeader, standardSig), standardSecret, ts.Add(-time.Hour), 2 * time.Hour},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NoError(t, paykit.VerifyStandard(tc.h, body, tc.secret, tc.now, tc.tolerance))
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
		{"ErrTamperedBody", with("", ""), `{"test": 2432232315}`, standardSecret, ts, paykit.ErrInvalidSignature},
		{"ErrWrongSecret", with("", ""), standardBody, paykit.NewStandardSecret(), ts, paykit.ErrInvalidSignature},
		{"ErrTamperedID", with(paykit.StandardIDHeader, "msg_other"), standardBody, standardSecret, ts, paykit.ErrInvalidSignature},
		{"ErrTamperedTimestamp", with(paykit.StandardTimestampHeader, "1614265331"), standardBody, standardSecret, ts, paykit.ErrInvalidSignature},
		{"ErrOnlyOtherSecret", with(paykit.StandardSignatureHeader, oldSig), standardBody, standardSecret, ts, paykit.ErrInvalidSignature},
		{"ErrNoV1", with(paykit.StandardSignatureHeader, "v1a,"+strings.TrimPrefix(standardSig, "v1,")), standardBody, standardSecret, ts, paykit.ErrInvalidSignature},
		{"ErrStale", with("", ""), standardBody, standardSecret, ts.Add(paykit.DefaultTolerance + time.Second), paykit.ErrStaleTimestamp},
		{"ErrFuture", with("", ""), standardBody, standardSecret, ts.Add(-paykit.DefaultTolerance - time.Second), paykit.ErrStaleTimestamp},
		{"ErrMissingID", with(paykit.StandardIDHeader, ""), standardBody, standardSecret, ts, paykit.ErrMalformedHeader},
		{"ErrMissingTimestamp", with(paykit.StandardTimestampHeader, ""), standardBody, standardSecret, ts, paykit.ErrMalformedHeader},
		{"ErrMissingSignature", with(paykit.StandardSignatureHeader, ""), standardBody, standardSecret, ts, paykit.ErrMalformedHeader},
		{"ErrTimestampNotInt", with(paykit.StandardTimestampHeader, "2021-02-26T00:00:00Z"), standardBody, standardSecret, ts, paykit.ErrMalformedHeader},
		{"ErrEntryWithoutComma", with(paykit.StandardSignatureHeader, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="), standardBody, standardSecret, ts, paykit.ErrMalformedHeader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			requireSigErr(t, paykit.VerifyStandard(tc.h, []byte(tc.body), tc.secret, tc.now, 0), tc.want)
		})
	}

	t.Run("ErrBadSecret", func(t *testing.T) {
		err := paykit.VerifyStandard(with("", ""), body, "whsec_???", ts, 0)
		require.Equal(t, paykit.EINVALID, paykit.ErrorCode(err))
	})
}

// ExampleSignGigapay shows the delivery side: the header value sent with a
// Gigapay webhook.
func ExampleSignGigapay() {
	body := []byte(`{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`)
	sent := time.Unix(1583327301, 0)
	fmt.Println(paykit.GigapayHeader + ": " + paykit.SignGigapay("gp_secret_key", sent, body))
	// Output:
	// Gigapay-Signature: t=1583327301,v1=cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3
}

// ExampleVerifyGigapay shows the receiving side: check the header against the raw
// body and the receiver's own clock.
func ExampleVerifyGigapay() {
	body := []byte(`{"id":"25d2af38-59b9-4f73-9452-51787fed5c84","name":"Karl Karlsson","claimed_at":"2019-05-21T09:13:32.575721Z"}`)
	header := "t=1583327301,v1=cba3c577b108aa18f2bf967fa829be468f0b77cbb8a62a2fff5761f40d37c3f3"
	received := time.Unix(1583327301, 0).Add(3 * time.Second) // in a handler: time.Now()

	fmt.Println(paykit.VerifyGigapay(header, body, "gp_secret_key", received, 0))

	err := paykit.VerifyGigapay(header, body, "gp_secret_key", received.Add(time.Hour), 0)
	fmt.Println(errors.Is(err, paykit.ErrStaleTimestamp))

	err = paykit.VerifyGigapay(header, []byte(`{"id":"forged"}`), "gp_secret_key", received, 0)
	fmt.Println(errors.Is(err, paykit.ErrInvalidSignature))
	// Output:
	// <nil>
	// true
	// true
}

// ExampleSignMemento reproduces Memento's published test vector.
func ExampleSignMemento() {
	fmt.Println(paykit.SignMemento("um2JjfnJbEUJnCpjKiV94jqp",
		"3e6975e8-77cb-48b7-7722-3dfe47677bbc", "a917be59-f35a-478f-a5d9-19bf467972ad",
		"abc123", paykit.MementoAmount(decimal.NewFromInt(2199)), "paid", 1458748422))
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

	var c paykit.MementoCallback
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
	h.Set(paykit.StandardIDHeader, "msg_p5jXN8AQM9LWM0D4loKWxJek")
	h.Set(paykit.StandardTimestampHeader, "1614265330")
	h.Set(paykit.StandardSignatureHeader, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
	body := []byte(`{"test": 2432232314}`)

	fmt.Println(paykit.VerifyStandard(h, body, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", time.Unix(1614265330, 0), 0))
	// Output:
	// <nil>
}
