package api

// HeaderMap is a protocol's set of headers (HTTP headers, HTTP/2 pseudo
// headers, XProtocol header fields). Keys compare case-insensitively for
// HTTP. Strings returned by Get and Range may alias the codec's read buffer:
// they are valid until the stream ends; copy them (strings.Clone) to keep
// them longer.
type HeaderMap interface {
	// Get returns the first value of key.
	Get(key string) (value string, ok bool)
	// Set replaces every value of key with value.
	Set(key, value string)
	// Add appends a value to key.
	Add(key, value string)
	// Del removes every value of key.
	Del(key string)
	// Range calls f for each header in wire order until f returns false.
	Range(f func(key, value string) bool)
}
