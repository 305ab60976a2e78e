package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

// ChangePassword changes the account's password. The current one must be
// right; the new one follows the rules of sign-up. The client's session goes
// on; every other session of the account ends.
func (c *Client) ChangePassword(ctx context.Context, current, next string) error {
	return c.do(ctx, "POST", "/api/v1/me/password", PasswordChange{CurrentPassword: current, NewPassword: next}, nil)
}

// RenameConversation changes a group's title ("" removes it).
func (c *Client) RenameConversation(ctx context.Context, conversationID int64, title string) (*Conversation, error) {
	var out Conversation
	return &out, c.do(ctx, "PATCH", "/api/v1/conversations/"+id(conversationID), ConversationUpdate{Title: title}, &out)
}

// ExportTo writes the account's own data, the JSON document of Export, to w
// as it arrives.
func (c *Client) ExportTo(ctx context.Context, w io.Writer) error {
	req, err := http.NewRequestWithContext(ctx, "GET", c.BaseURL+"/api/v1/me/export", nil)
	if err != nil {
		return err
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.http().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 400 {
		return decodeError(resp)
	}
	if _, err := io.Copy(w, resp.Body); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}

// Export returns the account's own data, read whole into memory: see
// ExportTo for a large one.
func (c *Client) Export(ctx context.Context) (*Export, error) {
	pr, pw := io.Pipe()
	go func() { pw.CloseWithError(c.ExportTo(ctx, pw)) }()
	defer pr.Close()
	var out Export
	if err := json.NewDecoder(pr).Decode(&out); err != nil {
		return nil, fmt.Errorf("export: %w", err)
	}
	return &out, nil
}
