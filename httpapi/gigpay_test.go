package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// seedTokenBody is the seed's example request, byte for byte, with the seed's
// sourceAccountId as the funded account and an expiry after the mock's start.
const seedTokenBody = `{
  "assetType": "usd",
  "sourceAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "amount": 1,
  "expiresAtUtc": "2024-01-09T18:00:56.246Z",
  "memo": "string"
}`

// seedPayment is the item of the seed's GET /api/v1/payments example.
const seedPayment = `{
      "paymentId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
      "amount": 0,
      "assetType": "usd",
      "status": "processing",
      "type": "deposit",
      "createdAtUtc": "2024-01-09T19:19:27.693Z",
      "modifiedAtUtc": "2024-01-09T19:19:27.693Z",
      "source": {
        "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "businessAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "userIdentityId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "externalStorage": "string"
      },
      "destination": {
        "id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "businessAccountId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "userIdentityId": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "externalStorage": "string"
      },
      "paymentTokenId": "3fa85f64-5717-4562-b3fc-2c963f66afa6"
    }`

var tokenKeys = []string{"paymentTokenId", "token", "link", "assetType", "amount", "sourceAccountId", "memo",
	"status", "expiresAtUtc", "createdAtUtc", "modifiedAtUtc", "paymentId", "acceptedAtUtc"}

func TestGigPay_CreateToken(t *testing.T) {
	t.Run("SeedExample", func(t *testing.T) {
		e := MustEnv(t)
		r := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens", seedTokenBody)
		require.Equal(t, "application/json", r.Header.Get("Content-Type"))
		require.Equal(t, tokenKeys, objectKeys(t, r.Body))
		tok := r.JSON(t)
		for k, want := range map[string]string{
			"assetType":       `"usd"`,
			"amount":          `1`,
			"sourceAccountId": `"3fa85f64-5717-4562-b3fc-2c963f66afa6"`,
			"memo":            `"string"`,
			"status":          `"active"`,
			"expiresAtUtc":    `"2024-01-09T18:00:56.246Z"`,
			"createdAtUtc":    `"2024-01-09T12:00:00.000Z"`,
			"modifiedAtUtc":   `"2024-01-09T12:00:00.000Z"`,
			"paymentId":       `null`,
			"acceptedAtUtc":   `null`,
		} {
			require.Equal(t, want, string(tok[k]), k)
		}
		token := str(t, tok["token"])
		require.Regexp(t, `^[A-Za-z0-9_-]{20,}$`, token)
		require.Equal(t, "https://wallet.stage.gigpay.com/payment/"+token, str(t, tok["link"]))
		require.Equal(t, [4]string{"1000", "999", "1", "0"}, e.Balances(businessAccountID))

		got := e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "")
		require.JSONEq(t, string(r.Body), string(got.Body))
		e.CheckLedger()
	})

	t.Run("ExactAmounts", func(t *testing.T) {
		e := MustEnv(t)
		for _, tc := range []struct{ in, out string }{{"10.5", "10.5"}, {"10.50", "10.5"}, {"0.01", "0.01"}, {"2e1", "20"}, {"100", "100"}} {
			tok := e.MustCreateToken(tc.in)
			require.Equal(t, tc.out, string(tok["amount"]), tc.in)
		}
		require.Equal(t, [4]string{"1000", "858.99", "141.01", "0"}, e.Balances(businessAccountID))
	})

	t.Run("DefaultExpiry", func(t *testing.T) {
		e := MustEnv(t)
		tok := e.MustCreateToken("1")
		require.Equal(t, `"2024-01-16T12:00:00.000Z"`, string(tok["expiresAtUtc"]))
	})

	// GigPay writes times to the millisecond, as its document shows, truncating
	// a finer part; an empty memo is null.
	t.Run("MillisecondTimes", func(t *testing.T) {
		e := MustEnv(t)
		e.Clock.Add(123456 * time.Nanosecond)
		tok := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens",
			`{"assetType":"USD","sourceAccountId":"`+businessAccountID+`","amount":1,"expiresAtUtc":"2024-01-09T14:00:00.1239567+02:00"}`).JSON(t)
		require.Equal(t, `"2024-01-09T12:00:00.000Z"`, string(tok["createdAtUtc"]))
		require.Equal(t, `"2024-01-09T12:00:00.123Z"`, string(tok["expiresAtUtc"]))
		require.Equal(t, `null`, string(tok["memo"]))
	})
}

func TestGigPay_CreateTokens(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		e := MustEnv(t)
		r := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens/batch",
			`{"tokens":[`+seedTokenBody+`,{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":2.5}]}`)
		var out struct{ Data []map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(r.Body, &out))
		require.Len(t, out.Data, 2)
		require.Equal(t, "1", string(out.Data[0]["amount"]))
		require.Equal(t, "2.5", string(out.Data[1]["amount"]))
		require.Equal(t, [4]string{"1000", "996.5", "3.5", "0"}, e.Balances(businessAccountID))
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		e := MustEnv(t)
		before := e.Snapshot()
		r := e.MustDo(400, "POST", "/gigpay/api/v1/payment-tokens/batch",
			`{"tokens":[`+seedTokenBody+`,{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":1.001}]}`)
		require.Contains(t, string(r.JSON(t)["error"]), `"tokens[1].amount"`)
		require.Equal(t, before, e.Snapshot())
		e.MustDo(400, "POST", "/gigpay/api/v1/payment-tokens/batch", `{"tokens":[]}`)
		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/batch",
			`{"tokens":[{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":600},{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":600}]}`)
		require.Equal(t, before, e.Snapshot())
	})
}

func TestGigPay_TokenFlow(t *testing.T) {
	t.Run("Succeeded", func(t *testing.T) {
		e := MustEnv(t)
		tok := e.MustCreateToken("10.5")
		token := str(t, tok["token"])
		r := e.MustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
		require.Equal(t, []string{"paymentToken", "payment"}, topKeys(t, r.Body))
		var acc struct{ PaymentToken, Payment map[string]json.RawMessage }
		require.NoError(t, json.Unmarshal(r.Body, &acc))
		paymentID := str(t, acc.Payment["paymentId"])
		require.Equal(t, `"active"`, string(acc.PaymentToken["status"]))
		require.Equal(t, `"`+paymentID+`"`, string(acc.PaymentToken["paymentId"]))
		require.Equal(t, `"2024-01-09T12:00:00.000Z"`, string(acc.PaymentToken["acceptedAtUtc"]))
		require.Equal(t, `"processing"`, string(acc.Payment["status"]))
		require.Equal(t, `"transfer"`, string(acc.Payment["type"]))
		require.Equal(t, `10.5`, string(acc.Payment["amount"]))
		require.Equal(t, string(tok["paymentTokenId"]), string(acc.Payment["paymentTokenId"]))
		require.JSONEq(t, `{"id":"`+businessAccountID+`","businessAccountId":"acme-business","userIdentityId":null,"externalStorage":null}`, string(acc.Payment["source"]))
		require.JSONEq(t, `{"id":"`+payeeAccountID+`","businessAccountId":null,"userIdentityId":"payee-1","externalStorage":null}`, string(acc.Payment["destination"]))
		require.Equal(t, [4]string{"1000", "989.5", "10.5", "0"}, e.Balances(businessAccountID))
		require.Equal(t, [4]string{"0", "0", "0", "10.5"}, e.Balances(payeeAccountID))
		e.CheckLedger()

		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/reject", "")

		p := e.MustDo(200, "POST", "/sandbox/payments/"+paymentID+"/complete", "").JSON(t)
		require.Equal(t, `"completed"`, string(p["status"]))
		got := e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "").JSON(t)
		require.Equal(t, `"succeeded"`, string(got["status"]))
		got = e.MustDo(200, "GET", "/gigpay/api/v1/payments/"+paymentID, "").JSON(t)
		require.Equal(t, `"completed"`, string(got["status"]))
		require.Equal(t, [4]string{"989.5", "989.5", "0", "0"}, e.Balances(businessAccountID))
		require.Equal(t, [4]string{"10.5", "10.5", "0", "0"}, e.Balances(payeeAccountID))
		e.MustDo(409, "POST", "/sandbox/payments/"+paymentID+"/cancel", "")
		e.CheckLedger()
	})

	for _, tc := range []struct{ action, status string }{{"cancel", "canceled"}, {"fail", "failed"}} {
		t.Run(tc.status, func(t *testing.T) {
			e := MustEnv(t)
			tok := e.MustCreateToken("25")
			p := e.MustAccept(str(t, tok["token"]))
			paymentID := str(t, p["paymentId"])
			got := e.MustDo(200, "POST", "/sandbox/payments/"+paymentID+"/"+tc.action, `{"reason":"MassPay declined"}`).JSON(t)
			require.Equal(t, `"`+tc.status+`"`, string(got["status"]))
			require.Equal(t, `"MassPay declined"`, string(got["failureReason"]))
			got = e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+str(t, tok["token"]), "").JSON(t)
			require.Equal(t, `"closed"`, string(got["status"]))
			require.Equal(t, [4]string{"1000", "1000", "0", "0"}, e.Balances(businessAccountID))
			require.Equal(t, [4]string{"0", "0", "0", "0"}, e.Balances(payeeAccountID))
			e.MustDo(409, "POST", "/sandbox/payments/"+paymentID+"/complete", "")
			e.CheckLedger()
		})
	}

	t.Run("Rejected", func(t *testing.T) {
		e := MustEnv(t)
		tok := e.MustCreateToken("7")
		token := str(t, tok["token"])
		e.Clock.Add(time.Minute)
		got := e.MustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/reject", "").JSON(t)
		require.Equal(t, `"rejected"`, string(got["status"]))
		require.Equal(t, `"2024-01-09T12:01:00.000Z"`, string(got["modifiedAtUtc"]))
		require.Equal(t, `null`, string(got["paymentId"]))
		require.Equal(t, [4]string{"1000", "1000", "0", "0"}, e.Balances(businessAccountID))
		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/reject", "{}")
		e.CheckLedger()
	})

	t.Run("Expired", func(t *testing.T) {
		e := MustEnv(t)
		tok := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens",
			`{"assetType":"usd","sourceAccountId":"`+businessAccountID+`","amount":5,"expiresAtUtc":"2024-01-09T13:00:00Z"}`).JSON(t)
		token := str(t, tok["token"])
		e.Clock.Add(time.Hour - time.Microsecond)
		got := e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "").JSON(t)
		require.Equal(t, `"active"`, string(got["status"]))

		e.Clock.Add(time.Microsecond) // exactly expiresAtUtc
		got = e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "").JSON(t)
		require.Equal(t, `"expired"`, string(got["status"]))
		require.Equal(t, `"2024-01-09T13:00:00.000Z"`, string(got["modifiedAtUtc"]))
		r := e.MustDo(410, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
		require.Equal(t, `"expired"`, string(errorBody(t, r)["code"]))
		e.MustDo(410, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/reject", "")

		// Funds stay reserved until the sweep persists the expiry.
		require.Equal(t, [4]string{"1000", "995", "5", "0"}, e.Balances(businessAccountID))
		e.MustDo(204, "POST", "/sandbox/run-due", "")
		require.Equal(t, [4]string{"1000", "1000", "0", "0"}, e.Balances(businessAccountID))
		got = e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "").JSON(t)
		require.Equal(t, `"expired"`, string(got["status"]))
		e.MustDo(410, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", `{"destinationAccountId":"`+payeeAccountID+`"}`)
		e.CheckLedger()
	})
}

func TestGigPay_Errors(t *testing.T) {
	const src = `"sourceAccountId":"` + businessAccountID + `"`
	big := `{"assetType":"usd",` + src + `,"amount":1,"memo":"` + strings.Repeat("x", 1<<20) + `"}`
	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		field                    string
	}{
		{"MalformedJSON", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":}`, 400, "body"},
		{"TruncatedJSON", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",`, 400, "body"},
		{"EmptyBody", "POST", "/gigpay/api/v1/payment-tokens", ``, 400, "body"},
		{"NotAnObject", "POST", "/gigpay/api/v1/payment-tokens", `[1]`, 400, "body"},
		{"TrailingData", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1} {}`, 400, "body"},
		{"UnknownField", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"amountCents":100}`, 400, "amountCents"},
		{"AmountAsString", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":"1"}`, 400, "amount"},
		{"MemoAsNumber", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"memo":5}`, 400, "memo"},
		{"UnknownAssetType", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"xyz",` + src + `,"amount":1}`, 400, "assetType"},
		{"OtherCurrency", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"eur",` + src + `,"amount":1}`, 400, "assetType"},
		{"NegativeAmount", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":-1}`, 400, "amount"},
		{"ZeroAmount", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":0}`, 400, "amount"},
		{"OverPreciseAmount", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1.001}`, 400, "amount"},
		{"HugeAmount", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1e999999}`, 400, "amount"},
		{"PastExpiry", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"expiresAtUtc":"2024-01-09T11:59:59.999Z"}`, 400, "expiresAtUtc"},
		{"ExpiryNow", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"expiresAtUtc":"2024-01-09T12:00:00Z"}`, 400, "expiresAtUtc"},
		{"BadExpiry", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"expiresAtUtc":"tomorrow"}`, 400, "expiresAtUtc"},
		// The root says expiresAt and currency; the wire, expiresAtUtc and
		// assetType, but a decoding error names the field the client sent.
		{"BatchPastExpiry", "POST", "/gigpay/api/v1/payment-tokens/batch", `{"tokens":[{"assetType":"usd",` + src + `,"amount":1},{"assetType":"usd",` + src + `,"amount":1,"expiresAtUtc":"2024-01-09T11:00:00Z"}]}`, 400, "tokens[1].expiresAtUtc"},
		{"ExpiresAtUnknown", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1,"expiresAt":"2024-01-10T12:00:00Z"}`, 400, "expiresAt"},
		{"AccountCurrencyUnknown", "POST", "/gigpay/api/v1/accounts", `{"currency":"usd","userIdentityId":"u2"}`, 400, "currency"},
		{"MissingSource", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","amount":1}`, 400, "sourceAccountId"},
		{"UnknownSource", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd","sourceAccountId":"nope","amount":1}`, 400, "sourceAccountId"},
		{"InsufficientFunds", "POST", "/gigpay/api/v1/payment-tokens", `{"assetType":"usd",` + src + `,"amount":1000.01}`, 409, ""},
		{"OversizedBody", "POST", "/gigpay/api/v1/payment-tokens", big, 413, "body"},
		{"AcceptUnknownToken", "POST", "/gigpay/api/v1/payment-tokens/nope/accept", `{"destinationAccountId":"` + payeeAccountID + `"}`, 404, ""},
		{"AccountBadAssetType", "POST", "/gigpay/api/v1/accounts", `{"assetType":"xyz","userIdentityId":"u2"}`, 400, "assetType"},
		{"AccountNoOwner", "POST", "/gigpay/api/v1/accounts", `{"assetType":"usd"}`, 400, "businessAccountId"},
		{"AccountTakenID", "POST", "/gigpay/api/v1/accounts", `{"id":"` + payeeAccountID + `","assetType":"usd","userIdentityId":"u2"}`, 409, ""},
		{"DepositNegative", "POST", "/gigpay/api/v1/deposits", `{"destinationAccountId":"` + businessAccountID + `","amount":-5,"assetType":"usd","externalStorage":"wire"}`, 400, "amount"},
		{"WithdrawalNoStorage", "POST", "/gigpay/api/v1/withdrawals", `{` + src + `,"amount":5,"assetType":"usd"}`, 400, "externalStorage"},
		{"WithdrawalTooMuch", "POST", "/gigpay/api/v1/withdrawals", `{` + src + `,"amount":5000,"assetType":"usd","externalStorage":"ach:123"}`, 409, ""},
		{"SandboxDepositBad", "POST", "/sandbox/deposits", `{"destinationAccountId":"` + businessAccountID + `","amount":1.5,"assetType":"jpy","externalStorage":"wire"}`, 400, "amount"},
		{"SandboxUnknownPayment", "POST", "/sandbox/payments/nope/complete", ``, 404, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := MustEnv(t)
			before := e.Snapshot()
			r := e.Do(tc.method, tc.path, tc.body)
			require.Equal(t, tc.status, r.Status, "%s", r.Body)
			require.Equal(t, []string{"error"}, topKeys(t, r.Body))
			eb := errorBody(t, r)
			require.NotEmpty(t, str(t, eb["message"]))
			if tc.field != "" {
				require.Equal(t, `"invalid"`, string(eb["code"]))
				var fields map[string]string
				require.NoError(t, json.Unmarshal(eb["fields"], &fields), "%s", r.Body)
				require.Contains(t, fields, tc.field, "%s", r.Body)
				require.NotEmpty(t, fields[tc.field])
			} else {
				require.NotContains(t, eb, "fields")
			}
			require.Equal(t, before, e.Snapshot())
			e.CheckLedger()
		})
	}
}

func TestGigPay_Auth(t *testing.T) {
	e := MustEnv(t)
	tok := e.MustCreateToken("1")
	token := str(t, tok["token"])

	for _, tc := range []struct{ name, header string }{{"Missing", ""}, {"Wrong", "Bearer nope"}, {"OtherScheme", "Basic " + apiKey}, {"NoKey", "Bearer "}} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.Snapshot()
			for _, path := range []string{"/gigpay/api/v1/payment-tokens", "/sandbox/deposits"} {
				r := e.MustDo(401, "POST", path, seedTokenBody, "Authorization", tc.header)
				require.Equal(t, `"unauthorized"`, string(errorBody(t, r)["code"]))
				require.Contains(t, r.Header.Get("WWW-Authenticate"), "Bearer")
			}
			e.MustDo(401, "GET", "/gigpay/api/v1/payment-tokens/"+token, "", "Authorization", tc.header)
			require.Equal(t, before, e.Snapshot())
		})
	}

	t.Run("SchemeCaseInsensitive", func(t *testing.T) {
		e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "", "Authorization", "bearer "+apiKey)
		e.MustDo(200, "GET", "/gigpay/api/v1/payment-tokens/"+token, "", "Authorization", "BEARER  "+apiKey)
	})

	t.Run("OtherTenant", func(t *testing.T) {
		p := e.MustAccept(str(t, e.MustCreateToken("2")["token"]))
		before := e.Snapshot()
		other := []string{"Authorization", "Bearer " + otherAPIKey}
		for _, req := range []struct{ method, path, body string }{
			{"GET", "/gigpay/api/v1/payment-tokens/" + token, ""},
			{"POST", "/gigpay/api/v1/payment-tokens/" + token + "/accept", `{"destinationAccountId":"` + payeeAccountID + `"}`},
			{"POST", "/gigpay/api/v1/payment-tokens/" + token + "/reject", ""},
			{"GET", "/gigpay/api/v1/payments/" + str(t, p["paymentId"]), ""},
			{"GET", "/gigpay/api/v1/accounts/" + businessAccountID, ""},
			{"POST", "/gigpay/api/v1/payment-tokens", seedTokenBody}, // acme's account is unknown to other
			{"POST", "/sandbox/payments/" + str(t, p["paymentId"]) + "/complete", ""},
		} {
			r := e.Do(req.method, req.path, req.body, other...)
			require.Contains(t, []int{400, 404}, r.Status, "%s %s: %s", req.method, req.path, r.Body)
		}
		r := e.MustDo(200, "GET", "/gigpay/api/v1/payments", "", other...)
		require.JSONEq(t, `{"data":[],"hasMore":false,"nextCursor":null}`, string(r.Body))
		require.Equal(t, before, e.Snapshot())
	})
}

func TestGigPay_Routes(t *testing.T) {
	e := MustEnv(t)
	r := e.MustDo(404, "GET", "/gigpay/api/v1/nothing", "")
	require.Equal(t, `"not_found"`, string(errorBody(t, r)["code"]))
	r = e.MustDo(404, "GET", "/gigpay/api/v1/nothing", "", "Authorization", "")
	require.Equal(t, "application/json", r.Header.Get("Content-Type"))

	r = e.MustDo(405, "GET", "/gigpay/api/v1/payment-tokens", "")
	require.Equal(t, "POST", r.Header.Get("Allow"))
	require.Equal(t, `"method_not_allowed"`, string(errorBody(t, r)["code"]))
	r = e.MustDo(405, "DELETE", "/gigpay/api/v1/payments/x", "")
	require.Contains(t, r.Header.Get("Allow"), "GET")
	e.MustDo(405, "GET", "/sandbox/run-due", "")
}

func TestGigPay_Idempotency(t *testing.T) {
	t.Run("Replay", func(t *testing.T) {
		e := MustEnv(t)
		first := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens", seedTokenBody, "Idempotency-Key", "k1")
		e.Clock.Add(time.Minute)
		// Same request, other whitespace: the same token, byte for byte.
		again := e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens", strings.Join(strings.Fields(seedTokenBody), ""), "Idempotency-Key", "k1")
		require.Equal(t, string(first.Body), string(again.Body))
		require.Equal(t, [4]string{"1000", "999", "1", "0"}, e.Balances(businessAccountID))

		before := e.Snapshot()
		r := e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens", strings.Replace(seedTokenBody, `"amount": 1`, `"amount": 2`, 1), "Idempotency-Key", "k1")
		require.Contains(t, str(t, errorBody(t, r)["message"]), "Idempotency-Key")
		require.Equal(t, before, e.Snapshot())

		// Without a key, the same body is a second token.
		e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens", seedTokenBody)
		require.Equal(t, [4]string{"1000", "998", "2", "0"}, e.Balances(businessAccountID))
	})

	t.Run("ReplayError", func(t *testing.T) {
		e := MustEnv(t)
		body := `{"assetType":"usd","sourceAccountId":"` + businessAccountID + `","amount":1500}`
		first := e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens", body, "Idempotency-Key", "k2")
		e.MustDo(201, "POST", "/sandbox/deposits", `{"destinationAccountId":"`+businessAccountID+`","amount":1000,"assetType":"usd","externalStorage":"wire"}`)
		// Now funded, but the key replays its first outcome.
		again := e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens", body, "Idempotency-Key", "k2")
		require.Equal(t, string(first.Body), string(again.Body))
		e.MustDo(201, "POST", "/gigpay/api/v1/payment-tokens", body, "Idempotency-Key", "k3")
	})

	t.Run("Accept", func(t *testing.T) {
		e := MustEnv(t)
		token := str(t, e.MustCreateToken("3")["token"])
		body := `{"destinationAccountId":"` + payeeAccountID + `"}`
		first := e.MustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", body, "Idempotency-Key", "a1")
		again := e.MustDo(200, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", body, "Idempotency-Key", "a1")
		require.Equal(t, string(first.Body), string(again.Body))
		e.MustDo(409, "POST", "/gigpay/api/v1/payment-tokens/"+token+"/accept", body, "Idempotency-Key", "a2")
	})

	t.Run("SandboxDeposit", func(t *testing.T) {
		e := MustEnv(t)
		body := `{"destinationAccountId":"` + payeeAccountID + `","amount":12.34,"assetType":"usd","externalStorage":"wire"}`
		first := e.MustDo(201, "POST", "/sandbox/deposits", body, "Idempotency-Key", "d1")
		again := e.MustDo(201, "POST", "/sandbox/deposits", body, "Idempotency-Key", "d1")
		require.Equal(t, string(first.Body), string(again.Body))
		require.Equal(t, `"completed"`, string(first.JSON(t)["status"]))
		require.Equal(t, [4]string{"12.34", "12.34", "0", "0"}, e.Balances(payeeAccountID))
	})

	t.Run("KeyTooLong", func(t *testing.T) {
		e := MustEnv(t)
		before := e.Snapshot()
		r := e.MustDo(400, "POST", "/gigpay/api/v1/payment-tokens", seedTokenBody, "Idempotency-Key", strings.Repeat("k", 256))
		require.Contains(t, string(errorBody(t, r)["fields"]), "Idempotency-Key")
		require.Equal(t, before, e.Snapshot())
	})
}

func TestGigPay_Accounts(t *testing.T) {
	e := MustEnv(t)
	r := e.MustDo(201, "POST", "/gigpay/api/v1/accounts", `{"id":"acct-2","assetType":"usd","name":"Second","businessAccountId":"biz-2"}`)
	require.Equal(t, []string{"id", "assetType", "name", "businessAccountId", "userIdentityId", "externalStorage",
		"balance", "available", "reserved", "incoming", "createdAtUtc", "modifiedAtUtc"}, objectKeys(t, r.Body))
	require.JSONEq(t, `{"id":"acct-2","assetType":"usd","name":"Second","businessAccountId":"biz-2","userIdentityId":null,
		"externalStorage":null,"balance":0,"available":0,"reserved":0,"incoming":0,
		"createdAtUtc":"2024-01-09T12:00:00.000Z","modifiedAtUtc":"2024-01-09T12:00:00.000Z"}`, string(r.Body))
	r = e.MustDo(201, "POST", "/gigpay/api/v1/accounts", `{"assetType":"usd","userIdentityId":"u-3"}`)
	id := str(t, r.JSON(t)["id"])
	require.NotEmpty(t, id)
	e.MustDo(200, "GET", "/gigpay/api/v1/accounts/"+id, "")
	e.MustDo(404, "GET", "/gigpay/api/v1/accounts/nope", "")

	// A deposit is incoming until it completes; a withdrawal reserves, goes to the
	// rail by RunDue and leaves on completion.
	dep := e.MustDo(201, "POST", "/gigpay/api/v1/deposits", `{"destinationAccountId":"acct-2","amount":50,"assetType":"usd","externalStorage":"wire:123"}`).JSON(t)
	require.Equal(t, `"processing"`, string(dep["status"]))
	require.JSONEq(t, `{"id":null,"businessAccountId":null,"userIdentityId":null,"externalStorage":"wire:123"}`, string(dep["source"]))
	require.Equal(t, [4]string{"0", "0", "0", "50"}, e.Balances("acct-2"))
	e.MustDo(200, "POST", "/sandbox/payments/"+str(t, dep["paymentId"])+"/complete", "")
	require.Equal(t, [4]string{"50", "50", "0", "0"}, e.Balances("acct-2"))

	wd := e.MustDo(201, "POST", "/gigpay/api/v1/withdrawals", `{"sourceAccountId":"acct-2","amount":20.25,"assetType":"usd","externalStorage":"ach:987"}`).JSON(t)
	require.Equal(t, `"pending"`, string(wd["status"]))
	require.Equal(t, `"withdrawal"`, string(wd["type"]))
	require.Equal(t, [4]string{"50", "29.75", "20.25", "0"}, e.Balances("acct-2"))
	e.MustDo(204, "POST", "/sandbox/run-due", "")
	got := e.MustDo(200, "GET", "/gigpay/api/v1/payments/"+str(t, wd["paymentId"]), "").JSON(t)
	require.Equal(t, `"processing"`, string(got["status"]))
	e.MustDo(200, "POST", "/sandbox/payments/"+str(t, wd["paymentId"])+"/complete", "")
	require.Equal(t, [4]string{"29.75", "29.75", "0", "0"}, e.Balances("acct-2"))
	e.CheckLedger()
}

func TestGigPay_FindPayments(t *testing.T) {
	e := MustEnv(t)
	// The setup's deposit of 1000 is the first payment. Add deposits, transfers
	// and a withdrawal, one minute apart, with distinct amounts.
	var tokenPaymentID, tokenID string
	amounts := []string{"30", "5.5", "70", "12", "41.25", "8"}
	for i, amt := range amounts {
		e.Clock.Add(time.Minute)
		switch i % 3 {
		case 0:
			e.MustDo(201, "POST", "/sandbox/deposits", `{"destinationAccountId":"`+businessAccountID+`","amount":`+amt+`,"assetType":"usd","externalStorage":"wire"}`)
		case 1:
			tok := e.MustCreateToken(amt)
			p := e.MustAccept(str(t, tok["token"]))
			tokenPaymentID, tokenID = str(t, p["paymentId"]), str(t, tok["paymentTokenId"])
		case 2:
			e.MustDo(201, "POST", "/gigpay/api/v1/withdrawals", `{"sourceAccountId":"`+businessAccountID+`","amount":`+amt+`,"assetType":"usd","externalStorage":"ach:1"}`)
		}
	}

	all := listPayments(t, e, "limit=1000")
	require.Len(t, all, 7)
	for _, p := range all {
		require.Equal(t, append(objectKeys(t, []byte(seedPayment)), "failureReason"), objectKeys(t, p))
	}
	ids := func(ps []json.RawMessage) []string {
		out := make([]string, len(ps))
		for i, p := range ps {
			var v struct{ PaymentID string }
			require.NoError(t, json.Unmarshal(p, &v))
			out[i] = v.PaymentID
		}
		return out
	}
	field := func(p json.RawMessage, k string) string {
		var m map[string]json.RawMessage
		require.NoError(t, json.Unmarshal(p, &m))
		return string(m[k])
	}

	t.Run("SeedShape", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/gigpay/api/v1/payments", "")
		require.Equal(t, "data", objectKeys(t, r.Body)[0])
		require.Equal(t, []string{"data", "hasMore", "nextCursor"}, topKeys(t, r.Body))
		first := all[0]
		require.Equal(t, `"deposit"`, field(first, "type"))
		require.Equal(t, `"completed"`, field(first, "status"))
		require.Equal(t, `1000`, field(first, "amount"))
		require.Equal(t, `"usd"`, field(first, "assetType"))
		require.Equal(t, `"2024-01-09T12:00:00.000Z"`, field(first, "createdAtUtc"))
		require.Equal(t, `null`, field(first, "paymentTokenId"))
		require.Equal(t, `null`, field(first, "failureReason"))
	})

	t.Run("Filters", func(t *testing.T) {
		for _, tc := range []struct {
			query string
			want  func(json.RawMessage) bool
			n     int
		}{
			{"type=deposit", func(p json.RawMessage) bool { return field(p, "type") == `"deposit"` }, 3},
			{"type=transfer", func(p json.RawMessage) bool { return field(p, "type") == `"transfer"` }, 2},
			{"type=withdrawal", func(p json.RawMessage) bool { return field(p, "type") == `"withdrawal"` }, 2},
			{"status=processing", func(p json.RawMessage) bool { return field(p, "status") == `"processing"` }, 2},
			{"status=pending", func(p json.RawMessage) bool { return field(p, "status") == `"pending"` }, 2},
			{"type=deposit&status=completed", func(p json.RawMessage) bool { return field(p, "type") == `"deposit"` }, 3},
			{"paymentTokenId=" + tokenID, func(p json.RawMessage) bool { return field(p, "paymentTokenId") == `"`+tokenID+`"` }, 1},
			{"accountId=" + payeeAccountID, func(p json.RawMessage) bool { return field(p, "type") == `"transfer"` }, 2},
			{"accountId=" + businessAccountID, func(json.RawMessage) bool { return true }, 7},
			{"createdFrom=2024-01-09T12:02:00Z", func(p json.RawMessage) bool { return field(p, "createdAtUtc") >= `"2024-01-09T12:02` }, 5},
			{"createdUntil=2024-01-09T12:02:00.000Z", func(p json.RawMessage) bool { return field(p, "createdAtUtc") < `"2024-01-09T12:02` }, 2},
			{"createdFrom=" + url.QueryEscape("2024-01-09T14:02:00+02:00") + "&createdUntil=2024-01-09T12:04:00Z", func(p json.RawMessage) bool {
				return field(p, "createdAtUtc") >= `"2024-01-09T12:02` && field(p, "createdAtUtc") < `"2024-01-09T12:04`
			}, 2},
		} {
			got := listPayments(t, e, tc.query)
			require.Len(t, got, tc.n, tc.query)
			want := slices.DeleteFunc(slices.Clone(all), func(p json.RawMessage) bool { return !tc.want(p) })
			require.Equal(t, ids(want), ids(got), tc.query)
		}
		one := listPayments(t, e, "paymentTokenId="+tokenID)
		require.Equal(t, []string{tokenPaymentID}, ids(one))
	})

	t.Run("Sorts", func(t *testing.T) {
		byCreated := ids(all)
		rev := slices.Clone(byCreated)
		slices.Reverse(rev)
		amount := func(p json.RawMessage) decimal.Decimal { return decimal.RequireFromString(field(p, "amount")) }
		byAmount := slices.Clone(all)
		sort.SliceStable(byAmount, func(i, j int) bool { return amount(byAmount[i]).LessThan(amount(byAmount[j])) })
		byAmountDesc := slices.Clone(byAmount)
		slices.Reverse(byAmountDesc)
		for _, tc := range []struct {
			sort string
			want []string
		}{
			{"createdAt", byCreated}, {"-createdAt", rev}, {"amount", ids(byAmount)}, {"-amount", ids(byAmountDesc)},
		} {
			require.Equal(t, tc.want, ids(listPayments(t, e, "sort="+tc.sort)), tc.sort)
			// Page through two at a time: the same order, nothing lost or repeated.
			for _, limit := range []int{1, 2, 3} {
				require.Equal(t, tc.want, ids(pagePayments(t, e, fmt.Sprintf("sort=%s&limit=%d", url.QueryEscape(tc.sort), limit))), "%s limit %d", tc.sort, limit)
			}
		}
		// Pagination composes with filters.
		require.Equal(t, ids(listPayments(t, e, "type=deposit&sort=-amount")), ids(pagePayments(t, e, "type=deposit&sort=-amount&limit=1")))
	})

	t.Run("Pages", func(t *testing.T) {
		r := e.MustDo(200, "GET", "/gigpay/api/v1/payments?limit=3", "").JSON(t)
		require.Equal(t, "true", string(r["hasMore"]))
		var page []json.RawMessage
		require.NoError(t, json.Unmarshal(r["data"], &page))
		require.Equal(t, `"`+ids(page)[2]+`"`, string(r["nextCursor"]))
		r = e.MustDo(200, "GET", "/gigpay/api/v1/payments?limit=7", "").JSON(t)
		require.Equal(t, "false", string(r["hasMore"]))
		require.Equal(t, "null", string(r["nextCursor"]))
	})

	t.Run("ErrInvalid", func(t *testing.T) {
		for _, tc := range []struct{ query, field string }{
			{"limit=0", "limit"}, {"limit=1001", "limit"}, {"limit=ten", "limit"}, {"limit=", "limit"},
			{"type=refund", "type"}, {"status=done", "status"}, {"sort=date", "sort"},
			{"createdFrom=yesterday", "createdFrom"}, {"createdUntil=2024-01-09", "createdUntil"},
		} {
			r := e.MustDo(400, "GET", "/gigpay/api/v1/payments?"+tc.query, "")
			require.Contains(t, string(errorBody(t, r)["fields"]), `"`+tc.field+`"`, tc.query)
		}
	})
}

// listPayments returns the data of one GET /api/v1/payments.
func listPayments(tb testing.TB, e *Env, query string) []json.RawMessage {
	tb.Helper()
	var out struct {
		Data    []json.RawMessage
		HasMore bool
	}
	require.NoError(tb, json.Unmarshal(e.MustDo(200, "GET", "/gigpay/api/v1/payments?"+query, "").Body, &out))
	require.False(tb, out.HasMore, query)
	return out.Data
}

// pagePayments follows nextCursor through every page of a query.
func pagePayments(tb testing.TB, e *Env, query string) []json.RawMessage {
	tb.Helper()
	var all []json.RawMessage
	cursor := ""
	for range 100 {
		q := query
		if cursor != "" {
			q += "&startingAfter=" + url.QueryEscape(cursor)
		}
		var out struct {
			Data       []json.RawMessage
			HasMore    bool
			NextCursor *string
		}
		require.NoError(tb, json.Unmarshal(e.MustDo(200, "GET", "/gigpay/api/v1/payments?"+q, "").Body, &out))
		all = append(all, out.Data...)
		if !out.HasMore {
			require.Nil(tb, out.NextCursor)
			return all
		}
		require.NotNil(tb, out.NextCursor)
		cursor = *out.NextCursor
	}
	tb.Fatal("too many pages")
	return nil
}

// topKeys returns the top-level keys of a JSON object in order.
func topKeys(tb testing.TB, raw []byte) []string {
	tb.Helper()
	var out []string
	for _, k := range objectKeys(tb, raw) {
		if !strings.Contains(k, ".") {
			out = append(out, k)
		}
	}
	return out
}

// errorBody returns the "error" object of an error response.
func errorBody(tb testing.TB, r Response) map[string]json.RawMessage {
	tb.Helper()
	var out struct{ Error map[string]json.RawMessage }
	require.NoError(tb, json.Unmarshal(r.Body, &out), "%s", r.Body)
	require.NotNil(tb, out.Error, "%s", r.Body)
	return out.Error
}
