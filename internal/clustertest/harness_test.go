package clustertest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/safeguard-dev/safeguard/client"
	"github.com/safeguard-dev/safeguard/internal/store/postgres/pgtest"
)

// binDir holds the binaries the tests build, once per test run.
var (
	binDir   string
	buildErr error
	building sync.Once
)

func TestMain(m *testing.M) {
	code := m.Run()
	if binDir != "" {
		os.RemoveAll(binDir)
	}
	os.Exit(code)
}

// binaries builds the safeguard command of this tree and the NATS server
// of the module cache into a temporary directory, once, and returns their
// paths.
func binaries(tb testing.TB) (safeguard, natsServer string) {
	tb.Helper()
	building.Do(func() {
		binDir, buildErr = os.MkdirTemp("", "clustertest-bin-")
		if buildErr != nil {
			return
		}
		for _, b := range []struct{ out, pkg string }{
			{"safeguard", "github.com/safeguard-dev/safeguard/cmd/safeguard"},
			{"nats-server", "github.com/nats-io/nats-server/v2"},
		} {
			out, err := exec.Command("go", "build", "-o", filepath.Join(binDir, b.out), b.pkg).CombinedOutput()
			if err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", b.pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		tb.Fatal(buildErr)
	}
	return filepath.Join(binDir, "safeguard"), filepath.Join(binDir, "nats-server")
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// natsProc is a NATS server with JetStream run as a process of its own, on
// a port and storage directory that stay the same across restarts.
type natsProc struct {
	tb   testing.TB
	bin  string
	port int
	dir  string
	cmd  *exec.Cmd
}

// startNATS starts a NATS server process; it is killed when the test ends.
func startNATS(tb testing.TB) *natsProc {
	tb.Helper()
	_, bin := binaries(tb)
	n := &natsProc{tb: tb, bin: bin, port: freePort(tb), dir: tb.TempDir()}
	n.Start()
	tb.Cleanup(n.Kill)
	return n
}

// URL is the server's client URL.
func (n *natsProc) URL() string { return "nats://127.0.0.1:" + strconv.Itoa(n.port) }

// Start runs the server (again) and waits until it takes connections.
func (n *natsProc) Start() {
	n.tb.Helper()
	n.cmd = exec.Command(n.bin, "-a", "127.0.0.1", "-p", strconv.Itoa(n.port), "-js", "-sd", filepath.Join(n.dir, "js"),
		"-n", "clustertest", "-l", filepath.Join(n.dir, "nats.log"))
	if err := n.cmd.Start(); err != nil {
		n.tb.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", n.port), time.Second)
		if err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			n.tb.Fatalf("nats-server did not listen within 30s: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL; what JetStream wrote stays on disk.
func (n *natsProc) Kill() {
	if n.cmd != nil && n.cmd.Process != nil {
		n.cmd.Process.Signal(syscall.SIGKILL)
		n.cmd.Wait()
		n.cmd = nil
	}
}

// Pid is the running server's process ID.
func (n *natsProc) Pid() int { return n.cmd.Process.Pid }

// Node is one "safeguard serve" process of a cluster.
type Node struct {
	Name string
	URL  string
	cmd  *exec.Cmd
	dir  string
	done chan struct{} // closed when the process has ended
}

// Pid is the node's process ID.
func (n *Node) Pid() int { return n.cmd.Process.Pid }

// Kill ends the node with SIGKILL and waits for it to be gone.
func (n *Node) Kill() {
	n.cmd.Process.Signal(syscall.SIGKILL)
	<-n.done
}

// Alive reports whether the node's process still runs.
func (n *Node) Alive() bool {
	select {
	case <-n.done:
		return false
	default:
		return true
	}
}

// Cluster is nodes on one PostgreSQL schema and one NATS server.
type Cluster struct {
	tb    testing.TB
	DB    string
	NATS  *natsProc
	Nodes []*Node
	env   []string
}

// Options tune a cluster: Env is added to every node's environment
// (SAFEGUARD_* settings, such as SAFEGUARD_LIMIT_MESSAGES).
type Options struct {
	Env []string
}

// clusterKeys is the key-encryption key every node of a cluster is given,
// which opens the keys the nodes share in the database's keyring
// (docs/scaling.md, "Keys"); the commands run against the cluster need it
// too.
var clusterKeys = []string{
	"SAFEGUARD_KEK=ERERERERERERERERERERERERERERERERERERERERERE=",
}

// StartCluster starts n nodes on a new PostgreSQL schema and a new NATS
// server; it skips the test without SAFEGUARD_TEST_POSTGRES.
func StartCluster(tb testing.TB, n int, o Options) *Cluster {
	tb.Helper()
	db := pgtest.Schema(tb)
	cl := &Cluster{tb: tb, DB: db, NATS: startNATS(tb)}
	cl.env = append([]string{"SAFEGUARD_ADMIN_TOKEN=operator-token", "SAFEGUARD_ARGON2_MEMORY=64", "SAFEGUARD_ARGON2_TIME=1",
		"SAFEGUARD_LIMIT_SIGNUP_ADDRESS=0", "SAFEGUARD_LIMIT_LOGIN_ADDRESS=0", "SAFEGUARD_LIMIT_LOGIN_ACCOUNT_ADDRESS=0",
		"SAFEGUARD_LIMIT_CONTACTS=0", "SAFEGUARD_CASES_INTERVAL=1h"}, clusterKeys...)
	cl.env = append(cl.env, o.Env...)
	for i := range n {
		cl.Nodes = append(cl.Nodes, cl.startNode(string(rune('A'+i))))
	}
	return cl
}

// startNode runs one node, with its files in a directory of its own, and
// waits until it serves. When the test fails, the end of its log is shown.
func (cl *Cluster) startNode(name string) *Node {
	tb := cl.tb
	tb.Helper()
	bin, _ := binaries(tb)
	n := &Node{Name: name, dir: tb.TempDir(), done: make(chan struct{})}
	n.cmd = exec.Command(bin, "serve", "--addr", "127.0.0.1:0", "--db", cl.DB, "--nats", cl.NATS.URL(),
		"--data", n.dir, "--metrics-addr", "")
	n.cmd.Env = append(os.Environ(), cl.env...)
	stderr, err := n.cmd.StderrPipe()
	if err != nil {
		tb.Fatal(err)
	}
	logFile, err := os.Create(filepath.Join(n.dir, "server.log"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := n.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(logFile, line)
			if i := strings.Index(line, "url="); i >= 0 && strings.Contains(line, "serving") {
				select {
				case urls <- strings.Fields(line[i+4:])[0]:
				default:
				}
			}
		}
		n.cmd.Wait()
		logFile.Close()
		close(n.done)
	}()
	tb.Cleanup(func() {
		if n.Alive() {
			n.Kill()
		}
		if tb.Failed() {
			b, _ := os.ReadFile(filepath.Join(n.dir, "server.log"))
			if len(b) > 4000 {
				b = b[len(b)-4000:]
			}
			tb.Logf("node %s log (end):\n%s", n.Name, b)
		}
	})
	select {
	case n.URL = <-urls:
		return n
	case <-n.done:
		tb.Fatalf("node %s ended before it served", name)
	case <-time.After(90 * time.Second):
		tb.Fatalf("node %s did not serve within 90s", name)
	}
	return nil
}

// Live returns the nodes whose process runs.
func (cl *Cluster) Live() []*Node {
	var out []*Node
	for _, n := range cl.Nodes {
		if n.Alive() {
			out = append(out, n)
		}
	}
	return out
}

// On returns a client of c's account that talks to node n.
func On(c *client.Client, n *Node) *client.Client {
	return &client.Client{BaseURL: n.URL, Token: c.Token, Handle: c.Handle}
}

// Adult signs up and logs in an adult with the nickname, through node n.
func Adult(tb testing.TB, n *Node, nickname string) *client.Client {
	tb.Helper()
	return signUp(tb, n, nickname, "1990-01-01")
}

// Teen signs up and logs in a fifteen-year-old, through node n.
func Teen(tb testing.TB, n *Node, nickname string) *client.Client {
	tb.Helper()
	return signUp(tb, n, nickname, time.Now().AddDate(-15, 0, -1).Format(time.DateOnly))
}

func signUp(tb testing.TB, n *Node, nickname, birth string) *client.Client {
	tb.Helper()
	ctx := context.Background()
	c := client.New(n.URL)
	a, err := c.SignUp(ctx, client.SignUpRequest{Nickname: nickname, Password: "cluster test password", BirthDate: birth,
		LocalAuthority: "Bedford"})
	if err != nil {
		tb.Fatalf("sign up %s: %v", nickname, err)
	}
	if _, err := c.Login(ctx, a.Handle, "cluster test password"); err != nil {
		tb.Fatalf("log in %s: %v", nickname, err)
	}
	return c
}

// Connect makes a and b contacts (a asks, b accepts) and returns a's
// one-to-one conversation with b.
func Connect(tb testing.TB, a, b *client.Client) int64 {
	tb.Helper()
	ctx := context.Background()
	req, err := a.RequestContact(ctx, b.Handle)
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := b.AcceptContact(ctx, req.ID); err != nil {
		tb.Fatal(err)
	}
	conv, err := a.CreateConversation(ctx, client.ConversationRequest{Members: []string{b.Handle}})
	if err != nil {
		tb.Fatal(err)
	}
	return conv.ID
}

// History returns every message of a conversation, oldest first, read
// through c.
func History(tb testing.TB, c *client.Client, conv int64) []client.Message {
	tb.Helper()
	var all []client.Message
	q := client.HistoryQuery{Limit: 200}
	for {
		page, err := c.History(context.Background(), conv, q)
		if err != nil {
			tb.Fatalf("history of %d: %v", conv, err)
		}
		all = append(all, page.Messages...)
		if page.Next == 0 {
			break
		}
		q.Before = page.Next
	}
	return all
}

// errNoAnswer is a send that reached no node that answered.
var errNoAnswer = errors.New("no node answered")

// sendVia posts a text message with an Idempotency-Key to the conversation
// through node url, and returns the stored message, or an *client.APIError,
// or a transport error (the node may be gone).
func sendVia(ctx context.Context, hc *http.Client, url, token, key string, conv int64, text string) (*client.Message, error) {
	body, _ := json.Marshal(client.MessageRequest{Text: text})
	req, err := http.NewRequestWithContext(ctx, "POST", fmt.Sprintf("%s/api/v1/conversations/%d/messages", url, conv), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", key)
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusCreated {
		var eb client.ErrorBody
		json.Unmarshal(b, &eb)
		return nil, &client.APIError{Status: resp.StatusCode, Code: eb.Error.Code, Message: eb.Error.Message}
	}
	var m client.Message
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, err
	}
	return &m, nil
}

// cpuTime is the user and system CPU time process pid has used, from
// /proc/<pid>/stat (in USER_HZ ticks of 10 ms).
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name, in parentheses, may hold spaces: fields count from
	// after its closing parenthesis (field 3, the state, comes first).
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: %d fields", pid, len(f))
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(utime+stime) * 10 * time.Millisecond, nil
}

// Metrics returns the samples of node n's /metrics, read through its API
// with the operator token: each by its name and labels as the text format
// writes them (safeguard_lease_held{lease="ages"}), with its value.
func Metrics(tb testing.TB, n *Node) map[string]string {
	tb.Helper()
	req, err := http.NewRequestWithContext(tb.Context(), "GET", n.URL+"/metrics", nil)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer operator-token")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("node %s /metrics: %v", n.Name, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		tb.Fatalf("node %s /metrics: %s", n.Name, resp.Status)
	}
	out := map[string]string{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if i := strings.LastIndexByte(line, ' '); i > 0 && !strings.HasPrefix(line, "#") {
			out[line[:i]] = line[i+1:]
		}
	}
	if err := sc.Err(); err != nil {
		tb.Fatalf("node %s /metrics: %v", n.Name, err)
	}
	return out
}

// NodeName is the name node n gives itself in its logs and on /metrics
// (safeguard_node_info), which it records with what it does in the shared
// database.
func NodeName(tb testing.TB, n *Node) string {
	tb.Helper()
	for k := range Metrics(tb, n) {
		if rest, ok := strings.CutPrefix(k, `safeguard_node_info{node="`); ok {
			return strings.TrimSuffix(rest, `"}`)
		}
	}
	tb.Fatalf("node %s: no safeguard_node_info on /metrics", n.Name)
	return ""
}

// readyz returns node n's /readyz status, or 0 when it does not answer.
func readyz(n *Node) int {
	hc := http.Client{Timeout: 5 * time.Second}
	resp, err := hc.Get(n.URL + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitReady polls until node n's /readyz answers code.
func waitReady(tb testing.TB, n *Node, code int, within time.Duration) {
	tb.Helper()
	deadline := time.Now().Add(within)
	for {
		got := readyz(n)
		if got == code {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("node %s: /readyz %d, want %d within %s", n.Name, got, code, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}
