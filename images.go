package paykit

import "bytes"

// imageSignatures are the magic numbers of the image formats a logo may be,
// as the WHATWG MIME Sniffing standard gives them. A mask byte of 0 ignores
// the byte under it (the size field of a RIFF container).
var imageSignatures = []struct {
	pattern, mask []byte
	contentType   string
}{
	{[]byte("GIF87a"), nil, "image/gif"},
	{[]byte("GIF89a"), nil, "image/gif"},
	{[]byte("\x89PNG\r\n\x1a\n"), nil, "image/png"},
	{[]byte("\xff\xd8\xff"), nil, "image/jpeg"},
	{[]byte("RIFF\x00\x00\x00\x00WEBPVP"), []byte("\xff\xff\xff\xff\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff"), "image/webp"},
}

// imageType returns the content type of an image in one of the formats of
// imageSignatures, or "" for anything else. It is the image part of
// net/http's DetectContentType, which the domain does not import: nothing but
// the delivery engine speaks HTTP.
func imageType(b []byte) string {
	for _, sig := range imageSignatures {
		if len(b) < len(sig.pattern) {
			continue
		}
		if sig.mask == nil {
			if bytes.HasPrefix(b, sig.pattern) {
				return sig.contentType
			}
			continue
		}
		match := true
		for i, p := range sig.pattern {
			match = match && b[i]&sig.mask[i] == p
		}
		if match {
			return sig.contentType
		}
	}
	return ""
}
