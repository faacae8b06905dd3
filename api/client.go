package api

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/mttq-vn/ledger/events"
)

// Client is a Go client of the ledger's HTTP API. Errors the server returns
// are *events.Error values with the server's code, message and field.
type Client struct {
	// URL is the server's base URL, such as "http://127.0.0.1:8080".
	URL string
	// Token is the bearer token; empty for public endpoints only.
	Token string
	// HTTPClient defaults to a client with a 60 s timeout.
	HTTPClient *http.Client
}

var _ events.LogSource = (*Client)(nil)

// NewClient returns a client of the server at baseURL.
func NewClient(baseURL, token string) *Client {
	return &Client{URL: strings.TrimRight(baseURL, "/"), Token: token,
		HTTPClient: &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 64, IdleConnTimeout: 90 * time.Second}}}
}

// WriteOptions are the optional headers of a write.
type WriteOptions struct {
	IdempotencyKey string
	// IfMatch, if set, is the stream version the write expects.
	IfMatch *uint64
}

// Create starts a new aggregate in collection with its first event.
func (c *Client) Create(ctx context.Context, collection string, req EventRequest, opt WriteOptions) (events.Result, error) {
	var res events.Result
	err := c.write(ctx, "/v1/"+collection, req, opt, &res)
	return res, err
}

// Append records one event on the aggregate collection/id.
func (c *Client) Append(ctx context.Context, collection, id string, req EventRequest, opt WriteOptions) (events.Result, error) {
	var res events.Result
	err := c.write(ctx, "/v1/"+collection+"/"+url.PathEscape(id)+"/events", req, opt, &res)
	return res, err
}

func (c *Client) write(ctx context.Context, path string, body any, opt WriteOptions, out any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	r, err := http.NewRequestWithContext(ctx, "POST", c.URL+path, bytes.NewReader(b))
	if err != nil {
		return err
	}
	r.Header.Set("Content-Type", "application/json")
	if opt.IdempotencyKey != "" {
		r.Header.Set("Idempotency-Key", opt.IdempotencyKey)
	}
	if opt.IfMatch != nil {
		r.Header.Set("If-Match", strconv.Quote(strconv.FormatUint(*opt.IfMatch, 10)))
	}
	return c.do(r, out)
}

// State returns the current state of collection/id.
func (c *Client) State(ctx context.Context, collection, id string) (ItemResponse, error) {
	var out ItemResponse
	err := c.getJSON(ctx, "/v1/"+collection+"/"+url.PathEscape(id), &out)
	return out, err
}

// Get decodes the JSON answer to GET path (with its query) into out; an
// error answer is returned as an *events.Error.
func (c *Client) Get(ctx context.Context, path string, out any) error {
	return c.getJSON(ctx, path, out)
}

// StreamEvents returns the history of collection/id.
func (c *Client) StreamEvents(ctx context.Context, collection, id string) (StreamEvents, error) {
	var out StreamEvents
	err := c.getJSON(ctx, "/v1/"+collection+"/"+url.PathEscape(id)+"/events", &out)
	return out, err
}

// Event returns the stored bytes of the event at position.
func (c *Client) Event(ctx context.Context, position uint64) ([]byte, error) {
	return c.getBytes(ctx, "/v1/events/"+strconv.FormatUint(position, 10))
}

// Checkpoint returns the latest signed checkpoint note.
func (c *Client) Checkpoint(ctx context.Context) ([]byte, error) {
	return c.getBytes(ctx, "/v1/log/checkpoint")
}

// Key returns the checkpoint verifier key.
func (c *Client) Key(ctx context.Context) (string, error) {
	b, err := c.getBytes(ctx, "/v1/log/key")
	return strings.TrimSpace(string(b)), err
}

// InclusionProof returns the proof that position is in the tree of size.
func (c *Client) InclusionProof(ctx context.Context, position, size uint64) (InclusionProof, error) {
	var out InclusionProof
	err := c.getJSON(ctx, fmt.Sprintf("/v1/log/proof/inclusion?position=%d&size=%d", position, size), &out)
	return out, err
}

// ConsistencyProof returns the proof that tree from is a prefix of tree to.
func (c *Client) ConsistencyProof(ctx context.Context, from, to uint64) (ConsistencyProof, error) {
	var out ConsistencyProof
	err := c.getJSON(ctx, fmt.Sprintf("/v1/log/proof/consistency?from=%d&to=%d", from, to), &out)
	return out, err
}

// CreateToken creates a token (admin).
func (c *Client) CreateToken(ctx context.Context, req TokenRequest) (TokenResponse, error) {
	var out TokenResponse
	err := c.write(ctx, "/v1/tokens", req, WriteOptions{}, &out)
	return out, err
}

// RevokeToken revokes a token (admin).
func (c *Client) RevokeToken(ctx context.Context, id, reason string) (events.Result, error) {
	var out events.Result
	err := c.write(ctx, "/v1/tokens/"+url.PathEscape(id)+"/revoke", RevokeRequest{Reason: reason}, WriteOptions{}, &out)
	return out, err
}

// Ready returns nil once the server answers /readyz with 200.
func (c *Client) Ready(ctx context.Context) error {
	b, err := c.getBytes(ctx, "/readyz")
	if err != nil {
		return err
	}
	// Another server answering 200 (a wrong port, a proxy's page) is not
	// a ledger that is ready.
	var ready struct {
		Status string `json:"status"`
	}
	if json.Unmarshal(b, &ready) != nil || ready.Status != "ready" {
		return fmt.Errorf("%s/readyz answered 200 but not as a ledger does ({\"status\":\"ready\"}): is it a ledger?", c.URL)
	}
	return nil
}

// ReadLog implements events.LogSource over GET /v1/log/entries (inspector
// or admin token). Records carry Position and Raw.
func (c *Client) ReadLog(ctx context.Context, from uint64, fn func(events.Record) error) error {
	if from == 0 {
		from = 1
	}
	for {
		r, err := http.NewRequestWithContext(ctx, "GET", fmt.Sprintf("%s/v1/log/entries?from=%d&limit=%d", c.URL, from, 20000), nil)
		if err != nil {
			return err
		}
		resp, err := c.send(r)
		if err != nil {
			return err
		}
		pos := from
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 8<<20)
		for sc.Scan() {
			raw := append([]byte(nil), sc.Bytes()...)
			if err := fn(events.Record{Position: pos, Raw: raw}); err != nil {
				resp.Body.Close()
				return err
			}
			pos++
		}
		err = sc.Err()
		resp.Body.Close()
		if err != nil {
			return fmt.Errorf("api: read log entries from %d: %w", from, err)
		}
		next, perr := strconv.ParseUint(resp.Trailer.Get("X-Ledger-Next"), 10, 64)
		if perr != nil || next != pos {
			return fmt.Errorf("api: the page of log entries from %d ended early at %d (the server reported an error)", from, pos)
		}
		if pos == from {
			return nil
		}
		from = pos
	}
}

// Checkpoints implements events.LogSource over GET /v1/log/checkpoints.
func (c *Client) Checkpoints(ctx context.Context, fn func(size uint64, note []byte) error) error {
	r, err := http.NewRequestWithContext(ctx, "GET", c.URL+"/v1/log/checkpoints", nil)
	if err != nil {
		return err
	}
	resp, err := c.send(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	want, err := strconv.Atoi(resp.Header.Get("X-Ledger-Checkpoints"))
	if err != nil {
		return fmt.Errorf("api: read checkpoints: the server did not say how many there are")
	}
	dec := json.NewDecoder(resp.Body)
	for n := 0; ; n++ {
		var e CheckpointEntry
		if err := dec.Decode(&e); err == io.EOF {
			if n != want {
				return fmt.Errorf("api: read checkpoints: got %d of %d", n, want)
			}
			return nil
		} else if err != nil {
			return fmt.Errorf("api: read checkpoints: %w", err)
		}
		if err := fn(e.Size, []byte(e.Note)); err != nil {
			return err
		}
	}
}

func (c *Client) getJSON(ctx context.Context, path string, out any) error {
	r, err := http.NewRequestWithContext(ctx, "GET", c.URL+path, nil)
	if err != nil {
		return err
	}
	return c.do(r, out)
}

func (c *Client) getBytes(ctx context.Context, path string) ([]byte, error) {
	r, err := http.NewRequestWithContext(ctx, "GET", c.URL+path, nil)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(r)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return io.ReadAll(resp.Body)
}

func (c *Client) do(r *http.Request, out any) error {
	resp, err := c.send(r)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("api: decode response of %s %s: %w", r.Method, r.URL.Path, err)
	}
	return nil
}

// maxRateLimitWaits bounds how often send waits out a 429 for one request.
const maxRateLimitWaits = 30

// retryAfter reads a Retry-After header in seconds (1 s if absent or not a
// number; at most 30 s).
func retryAfter(h string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(h))
	if err != nil || n < 1 {
		n = 1
	}
	return time.Duration(min(n, 30)) * time.Second
}

// send performs r and turns an error status into an *events.Error. A
// request refused by the server's rate limit (429) is sent again after the
// Retry-After the server names, until r's context ends.
func (c *Client) send(r *http.Request) (*http.Response, error) {
	if c.Token != "" {
		r.Header.Set("Authorization", "Bearer "+c.Token)
	}
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(r)
	for attempt := 0; err == nil && resp.StatusCode == http.StatusTooManyRequests && attempt < maxRateLimitWaits && (r.Body == nil || r.GetBody != nil); attempt++ {
		// Rate limited: the server did not carry the request out. Wait as
		// long as it asks and send it again.
		wait := retryAfter(resp.Header.Get("Retry-After"))
		io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		select {
		case <-r.Context().Done():
			return nil, r.Context().Err()
		case <-time.After(wait):
		}
		if r.GetBody != nil {
			if r.Body, err = r.GetBody(); err != nil {
				return nil, err
			}
		}
		resp, err = hc.Do(r)
	}
	if err != nil {
		return nil, err
	}
	if resp.StatusCode < 400 {
		return resp, nil
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var eb ErrorBody
	if json.Unmarshal(body, &eb) != nil || eb.Error.Code == "" {
		// Not a ledger's error (a proxy's page, another server): a line of
		// it, not the page.
		text := strings.Join(strings.Fields(strings.ToValidUTF8(string(body), "?")), " ")
		if len(text) > 200 {
			text = strings.ToValidUTF8(text[:200], "") + "…"
		}
		return nil, &events.Error{Code: events.EInternal, Message: fmt.Sprintf("%s %s: HTTP %d, not a ledger's error: %s", r.Method, r.URL.Path, resp.StatusCode, text)}
	}
	return nil, &events.Error{Code: eb.Error.Code, Message: eb.Error.Message, Field: eb.Error.Field}
}
