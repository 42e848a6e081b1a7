package admin

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
)

// Redacted replaces every secret in the admin API's answers.
const Redacted = "[redacted]"

// secretKey reports whether a JSON key names a secret: private_key and
// any other "*_key" (a PEM key, an API key), passwords, secrets, tokens.
func secretKey(k string) bool {
	k = strings.ToLower(k)
	switch {
	case k == "password", k == "secret", k == "token":
		return true
	case strings.HasSuffix(k, "_key"), strings.HasSuffix(k, "_password"),
		strings.HasSuffix(k, "_secret"), strings.HasSuffix(k, "_token"):
		return true
	}
	return false
}

// pemPrivate finds PEM private key blocks (RSA, EC, PKCS#8, encrypted).
var pemPrivate = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)`)

// RedactedJSON marshals v indented with every secret replaced by
// Redacted: the values of secret keys (private_key, any *_key, password,
// secret, token, and their *_password/*_secret/*_token forms) that are
// not empty, and any PEM private key block wherever it appears. Numbers
// are kept as written.
func RedactedJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return nil, err
	}
	tree = redact(tree)
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(tree); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func redact(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			if s, ok := x.(string); ok && secretKey(k) && s != "" {
				t[k] = Redacted
				continue
			}
			if _, ok := x.(string); !ok && secretKey(k) && x != nil && !isEmpty(x) {
				t[k] = Redacted
				continue
			}
			t[k] = redact(x)
		}
	case []any:
		for i := range t {
			t[i] = redact(t[i])
		}
	case string:
		return RedactText(t)
	}
	return v
}

func isEmpty(x any) bool {
	switch t := x.(type) {
	case map[string]any:
		return len(t) == 0
	case []any:
		return len(t) == 0
	case bool:
		return !t
	}
	return false
}

// RedactText replaces PEM private key blocks in s.
func RedactText(s string) string {
	if !strings.Contains(s, "PRIVATE KEY") {
		return s
	}
	return pemPrivate.ReplaceAllString(s, Redacted)
}
