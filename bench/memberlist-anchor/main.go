// Command memberlist-anchor measures hashicorp/memberlist's crash-detection
// latency with its default LAN configuration, as an external anchor for the
// numbers of our own simulator (bench/sim.ts).
//
// N memberlist instances run in one process over an in-memory transport
// (written here; memberlist's own MockTransport uses unbuffered channels and
// blocks a sender forever once the receiver stops reading, so it cannot model
// a crash). Every config field is memberlist.DefaultLANConfig() except Name,
// Transport, LogOutput (io.Discard) and the Events/Ping delegates that record
// what happens. A crash marks the node's transport dead (every packet to or
// from it is lost, new streams to it are refused and its open streams are
// closed, as after kill -9) and then calls Shutdown() without Leave(), so the
// dead node's goroutines stop.
//
// Detection of a crash = time from the crash until EVERY member that never
// crashed has marked it dead (NotifyLeave for it). A NotifyLeave for a node
// that had not crashed (yet) is a false death.
//
// Build and run: see README.md beside this file. The output is one JSON line.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"math/rand"
	"net"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	gometrics "github.com/armon/go-metrics"
	"github.com/hashicorp/memberlist"
)

// ---------------------------------------------------------------------------
// In-memory network and transport.

type network struct {
	byAddr map[string]*transport // filled before any memberlist starts, read-only afterwards
	byName map[string]*transport
	loss   float64

	rngMu sync.Mutex
	rng   *rand.Rand

	delivered, lost, deadDrops, overflow, streams, refused int64
}

func (n *network) drop() bool {
	if n.loss <= 0 {
		return false
	}
	n.rngMu.Lock()
	d := n.rng.Float64() < n.loss
	n.rngMu.Unlock()
	return d
}

type mockAddr string

func (a mockAddr) Network() string { return "udp" }
func (a mockAddr) String() string  { return string(a) }

type transport struct {
	net      *network
	name     string
	addr     string
	port     int
	packetCh chan *memberlist.Packet
	streamCh chan net.Conn
	dead     int32
	deadCh   chan struct{}
	deadOnce sync.Once

	connMu sync.Mutex
	conns  map[*pipeEnd]struct{}
}

var _ memberlist.NodeAwareTransport = (*transport)(nil)

func (t *transport) isDead() bool { return atomic.LoadInt32(&t.dead) == 1 }

// crash: from now on nothing reaches or leaves this node, and its open
// streams break (the peer sees EOF / closed pipe, as after an RST).
func (t *transport) crash() {
	t.deadOnce.Do(func() {
		atomic.StoreInt32(&t.dead, 1)
		close(t.deadCh)
		t.connMu.Lock()
		ends := make([]*pipeEnd, 0, len(t.conns))
		for c := range t.conns {
			ends = append(ends, c)
		}
		t.connMu.Unlock()
		for _, c := range ends {
			c.Close()
		}
	})
}

func (t *transport) FinalAdvertiseAddr(string, int) (net.IP, int, error) {
	return net.ParseIP("127.0.0.1"), t.port, nil
}

func (t *transport) WriteTo(b []byte, addr string) (time.Time, error) {
	return t.WriteToAddress(b, memberlist.Address{Addr: addr})
}

func (t *transport) peer(a memberlist.Address) *transport {
	if d, ok := t.net.byAddr[a.Addr]; ok {
		return d
	}
	return t.net.byName[a.Name]
}

// WriteToAddress is UDP: best effort, never blocks. A packet is lost if either
// end is dead, with probability loss, or if the receiver's queue is full.
func (t *transport) WriteToAddress(b []byte, a memberlist.Address) (time.Time, error) {
	now := time.Now()
	dest := t.peer(a)
	if dest == nil {
		return now, fmt.Errorf("no route to %s", a.Addr)
	}
	if t.isDead() || dest.isDead() {
		atomic.AddInt64(&t.net.deadDrops, 1)
		return now, nil
	}
	if t.net.drop() {
		atomic.AddInt64(&t.net.lost, 1)
		return now, nil
	}
	buf := make([]byte, len(b))
	copy(buf, b)
	select {
	case dest.packetCh <- &memberlist.Packet{Buf: buf, From: mockAddr(t.addr), Timestamp: now}:
		atomic.AddInt64(&t.net.delivered, 1)
	default:
		atomic.AddInt64(&t.net.overflow, 1)
	}
	return now, nil
}

func (t *transport) PacketCh() <-chan *memberlist.Packet { return t.packetCh }

func (t *transport) DialTimeout(addr string, timeout time.Duration) (net.Conn, error) {
	return t.DialAddressTimeout(memberlist.Address{Addr: addr}, timeout)
}

func refusedErr(addr string) error {
	return &net.OpError{Op: "dial", Net: "tcp", Addr: mockAddr(addr), Err: syscall.ECONNREFUSED}
}

// DialAddressTimeout is TCP: reliable (no loss applied). A dead peer refuses
// at once, as a host whose process was killed answers with RST.
func (t *transport) DialAddressTimeout(a memberlist.Address, timeout time.Duration) (net.Conn, error) {
	dest := t.peer(a)
	if dest == nil {
		return nil, fmt.Errorf("no route to %s", a.Addr)
	}
	if t.isDead() {
		return nil, errors.New("local transport is shut down")
	}
	if dest.isDead() {
		atomic.AddInt64(&t.net.refused, 1)
		return nil, refusedErr(a.Addr)
	}
	p1, p2 := net.Pipe()
	pair := &pipePair{}
	remote := &pipeEnd{Conn: p1, pair: pair, owner: dest, local: mockAddr(dest.addr), remote: mockAddr(t.addr)}
	local := &pipeEnd{Conn: p2, pair: pair, owner: t, local: mockAddr(t.addr), remote: mockAddr(dest.addr)}
	pair.a, pair.b = remote, local
	dest.track(remote)
	t.track(local)
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case dest.streamCh <- remote:
		atomic.AddInt64(&t.net.streams, 1)
		return local, nil
	case <-dest.deadCh:
		pair.closeBoth()
		atomic.AddInt64(&t.net.refused, 1)
		return nil, refusedErr(a.Addr)
	case <-timer.C:
		pair.closeBoth()
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: mockAddr(a.Addr), Err: errors.New("i/o timeout")}
	}
}

func (t *transport) StreamCh() <-chan net.Conn { return t.streamCh }

func (t *transport) IngestPacket(conn net.Conn, addr net.Addr, now time.Time, shouldClose bool) error {
	if shouldClose {
		defer conn.Close()
	}
	b, err := io.ReadAll(conn)
	if err != nil {
		return err
	}
	if len(b) < 1 {
		return errors.New("packet too short")
	}
	select {
	case t.packetCh <- &memberlist.Packet{Buf: b, From: addr, Timestamp: now}:
	case <-t.deadCh:
	}
	return nil
}

func (t *transport) IngestStream(conn net.Conn) error {
	select {
	case t.streamCh <- conn:
	case <-t.deadCh:
		conn.Close()
	}
	return nil
}

// Shutdown is called by Memberlist.Shutdown (the crash path calls crash first).
func (t *transport) Shutdown() error { t.crash(); return nil }

func (t *transport) track(c *pipeEnd) {
	t.connMu.Lock()
	t.conns[c] = struct{}{}
	t.connMu.Unlock()
}

func (t *transport) untrack(c *pipeEnd) {
	t.connMu.Lock()
	delete(t.conns, c)
	t.connMu.Unlock()
}

type pipePair struct {
	a, b *pipeEnd
	once sync.Once
}

func (p *pipePair) closeBoth() {
	p.once.Do(func() {
		p.a.Conn.Close()
		p.b.Conn.Close()
		p.a.owner.untrack(p.a)
		p.b.owner.untrack(p.b)
	})
}

// pipeEnd is one side of a net.Pipe with TCP-like addresses; closing either
// side closes both (a crashed side's socket is gone).
type pipeEnd struct {
	net.Conn
	pair          *pipePair
	owner         *transport
	local, remote net.Addr
}

func (c *pipeEnd) Close() error         { c.pair.closeBoth(); return nil }
func (c *pipeEnd) LocalAddr() net.Addr  { return c.local }
func (c *pipeEnd) RemoteAddr() net.Addr { return c.remote }

// ---------------------------------------------------------------------------
// Recording.

type leaveEv struct {
	observer, target int
	at               time.Time
}

type recorder struct {
	mu       sync.Mutex
	idx      map[string]int
	crashed  []time.Time // zero = not crashed
	leaves   []leaveEv
	rejoins  int // NotifyJoin for a node the observer had marked dead
	deadSeen map[[2]int]bool

	// count of live (never-crashed) observers that marked each crashed node dead
	doneCount map[int]int

	pingOK int64 // successful direct probes (NotifyPingComplete)
	rttMu  sync.Mutex
	rtts   []time.Duration
	rttOn  int32
}

func (r *recorder) leave(observer int, name string) {
	now := time.Now()
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.idx[name]
	if !ok {
		return
	}
	r.leaves = append(r.leaves, leaveEv{observer, t, now})
	r.deadSeen[[2]int{observer, t}] = true
}

func (r *recorder) join(observer int, name string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	t, ok := r.idx[name]
	if !ok {
		return
	}
	k := [2]int{observer, t}
	if r.deadSeen[k] {
		r.rejoins++
		delete(r.deadSeen, k)
	}
}

type events struct {
	i int
	r *recorder
}

func (e *events) NotifyJoin(n *memberlist.Node)   { e.r.join(e.i, n.Name) }
func (e *events) NotifyLeave(n *memberlist.Node)  { e.r.leave(e.i, n.Name) }
func (e *events) NotifyUpdate(n *memberlist.Node) {}

type pings struct{ r *recorder }

func (p *pings) AckPayload() []byte { return nil }
func (p *pings) NotifyPingComplete(other *memberlist.Node, rtt time.Duration, payload []byte) {
	atomic.AddInt64(&p.r.pingOK, 1)
	if atomic.LoadInt32(&p.r.rttOn) == 1 {
		p.r.rttMu.Lock()
		p.r.rtts = append(p.r.rtts, rtt)
		p.r.rttMu.Unlock()
	}
}

// schedLag samples how late a 50 ms sleep wakes up: a direct measure of
// whether the process gets the CPU it asks for.
type lagMeter struct {
	mu     sync.Mutex
	lags   []time.Duration
	recent time.Duration // max since the last progress line
}

func (l *lagMeter) recentMax() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := l.recent
	l.recent = 0
	return r
}

func (l *lagMeter) run(stop <-chan struct{}) {
	const step = 50 * time.Millisecond
	for {
		t0 := time.Now()
		select {
		case <-stop:
			return
		case <-time.After(step):
		}
		lag := time.Since(t0) - step
		l.mu.Lock()
		l.lags = append(l.lags, lag)
		if lag > l.recent {
			l.recent = lag
		}
		l.mu.Unlock()
	}
}

func (l *lagMeter) take() []time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := l.lags
	l.lags = nil
	return out
}

// countSink is a go-metrics sink that only counts the few memberlist metrics
// that tell whether the run kept real time: probes run (memberlist.probeNode
// samples), probes whose interval Lifeguard stretched (degraded.probe),
// suspicions started (msg.suspect, one per observer and suspect), suspicion
// timeouts that fired short of confirmations (degraded.timeout).
type countSink struct {
	probes, probesOver1100ms, degradedProbe, suspect, degradedTimeout, deadMsg int64
	probeMsSum                                                                 int64
}

func last2(key []string) string {
	if len(key) < 2 {
		return ""
	}
	return key[len(key)-2] + "." + key[len(key)-1]
}

func (s *countSink) SetGauge([]string, float32)                              {}
func (s *countSink) SetGaugeWithLabels([]string, float32, []gometrics.Label) {}
func (s *countSink) EmitKey([]string, float32)                               {}
func (s *countSink) IncrCounterWithLabels(k []string, v float32, _ []gometrics.Label) {
	s.IncrCounter(k, v)
}
func (s *countSink) AddSampleWithLabels(k []string, v float32, _ []gometrics.Label) {
	s.AddSample(k, v)
}
func (s *countSink) IncrCounter(key []string, val float32) {
	switch last2(key) {
	case "degraded.probe":
		atomic.AddInt64(&s.degradedProbe, 1)
	case "degraded.timeout":
		atomic.AddInt64(&s.degradedTimeout, 1)
	case "msg.suspect":
		atomic.AddInt64(&s.suspect, 1)
	case "msg.dead":
		atomic.AddInt64(&s.deadMsg, 1)
	}
}
func (s *countSink) AddSample(key []string, val float32) {
	if last2(key) == "memberlist.probeNode" {
		atomic.AddInt64(&s.probes, 1)
		atomic.AddInt64(&s.probeMsSum, int64(val))
		if val > 1100 {
			atomic.AddInt64(&s.probesOver1100ms, 1)
		}
	}
}

type sinkSnap struct{ probes, over, degradedProbe, suspect, degradedTimeout, deadMsg, msSum int64 }

func (s *countSink) snap() sinkSnap {
	return sinkSnap{atomic.LoadInt64(&s.probes), atomic.LoadInt64(&s.probesOver1100ms), atomic.LoadInt64(&s.degradedProbe),
		atomic.LoadInt64(&s.suspect), atomic.LoadInt64(&s.degradedTimeout), atomic.LoadInt64(&s.deadMsg), atomic.LoadInt64(&s.probeMsSum)}
}

// ---------------------------------------------------------------------------
// Stats helpers.

func pct(sorted []float64, p float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	// nearest rank
	k := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	if k < 0 {
		k = 0
	}
	if k >= len(sorted) {
		k = len(sorted) - 1
	}
	return sorted[k]
}

type dist struct {
	N     int      `json:"n"`
	P50Ms *float64 `json:"p50Ms"`
	P99Ms *float64 `json:"p99Ms"`
	MaxMs *float64 `json:"maxMs"`
	MinMs *float64 `json:"minMs,omitempty"`
}

func mkDist(ms []float64, withMin bool) dist {
	sort.Float64s(ms)
	d := dist{N: len(ms)}
	if len(ms) == 0 {
		return d
	}
	r := func(x float64) *float64 { v := math.Round(x); return &v }
	d.P50Ms, d.P99Ms, d.MaxMs = r(pct(ms, 50)), r(pct(ms, 99)), r(ms[len(ms)-1])
	if withMin {
		d.MinMs = r(ms[0])
	}
	return d
}

func durMs(ds []time.Duration) []float64 {
	out := make([]float64, len(ds))
	for i, d := range ds {
		out[i] = float64(d) / 1e6
	}
	return out
}

func cpuSeconds() float64 {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}

// gcStats reads GC counters without stopping the world.
func gcStats() (cycles uint64, heapMiB, goalMiB, allocMiB float64) {
	ss := []metrics.Sample{{Name: "/gc/cycles/total:gc-cycles"}, {Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/goal:bytes"}, {Name: "/gc/heap/allocs:bytes"}}
	metrics.Read(ss)
	v := func(i int) float64 {
		if ss[i].Value.Kind() == metrics.KindUint64 {
			return float64(ss[i].Value.Uint64()) / (1 << 20)
		}
		return 0
	}
	if ss[0].Value.Kind() == metrics.KindUint64 {
		cycles = ss[0].Value.Uint64()
	}
	return cycles, v(1), v(2), v(3)
}

func round1(x float64) float64 { return math.Round(x*10) / 10 }
func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// ---------------------------------------------------------------------------

type phase struct {
	WallS            float64 `json:"wallS"`
	CPUS             float64 `json:"cpuS"`
	CPUCores         float64 `json:"cpuCores"`
	ProbesPerNodeS   float64 `json:"probesPerNodePerS"`   // all probes (memberlist.probeNode), per live node: 1.0 = on schedule
	ProbesOKPerNodeS float64 `json:"probesOkPerNodePerS"` // probes answered by a direct ack
	ProbeMeanMs      float64 `json:"probeMeanMs"`
	ProbesOver1100ms int64   `json:"probesOver1100ms"`
	DegradedProbes   int64   `json:"degradedProbes"` // probes run with a Lifeguard-stretched interval
	Suspicions       int64   `json:"suspicions"`     // (observer, suspect) pairs started
	DegradedTimeouts int64   `json:"degradedTimeouts"`
	SchedLagP99Ms    float64 `json:"schedLagP99Ms"`
	SchedLagMaxMs    float64 `json:"schedLagMaxMs"`
	GCCycles         uint64  `json:"gcCycles"`
	AllocMiBPerS     float64 `json:"allocMiBPerS"`
	HeapMiBEnd       float64 `json:"heapMiBEnd"`
}

type result struct {
	Memberlist      string            `json:"memberlist"`
	Go              string            `json:"go"`
	Nodes           int               `json:"nodes"`
	Crashes         int               `json:"crashes"`
	Seed            int64             `json:"seed"`
	GOGC            int               `json:"gogc"`
	MemLimitMiB     int64             `json:"memLimitMiB"`
	JoinRate        float64           `json:"joinRatePerS"`
	JoinK           float64           `json:"joinK"`
	JoinQuietS      float64           `json:"joinQuietS"`
	JoinBatch       int               `json:"joinBatch"`
	Loss            float64           `json:"loss"`
	DisableTcpPings bool              `json:"disableTcpPings"`
	Config          map[string]string `json:"config"`
	JoinS           float64           `json:"joinS"`
	ConvergeS       *float64          `json:"convergeS"`
	Detection       dist              `json:"detection"`
	Undetected      int               `json:"undetected"`
	PerCrashMs      []*float64        `json:"perCrashMs"`
	FirstDead       dist              `json:"firstDead"`
	PerObserver     dist              `json:"perObserver"`
	FalseDead       int               `json:"falseDead"`      // during the crash/detect phase
	FalseDeadSetup  int               `json:"falseDeadSetup"` // during join/settle (overload while joining)
	FalseDeadNodes  int               `json:"falseDeadNodes"`
	Rejoins         int               `json:"rejoins"`
	RejoinsSetup    int               `json:"rejoinsSetup"`
	Phases          map[string]phase  `json:"phases"`
	RTTSettle       dist              `json:"rttSettle"`
	MaxHealthScore  int               `json:"maxHealthScore"`
	Packets         map[string]int64  `json:"packets"`
	WallS           float64           `json:"wallS"`
	CPUS            float64           `json:"cpuS"`
	LoadStart       string            `json:"loadAvgStart"`
	LoadEnd         string            `json:"loadAvgEnd"`
	Aborted         string            `json:"aborted,omitempty"`
}

func main() {
	n := flag.Int("n", 100, "number of members")
	c := flag.Int("c", 10, "number of crashes")
	seed := flag.Int64("seed", 1, "random seed (crash picks and times, loss)")
	loss := flag.Float64("loss", 0, "probability of dropping each UDP packet (streams stay reliable)")
	noTCP := flag.Bool("no-tcp-pings", false, "set DisableTcpPings (no TCP fallback probe)")
	settle := flag.Duration("settle", 10*time.Second, "wait after convergence before the first crash window opens")
	window := flag.Duration("window", 20*time.Second, "crashes happen at uniform random times in this window")
	deadline := flag.Duration("deadline", 60*time.Second, "stop waiting this long after the last crash")
	joinTimeout := flag.Duration("join-timeout", 180*time.Second, "give up on convergence after this long")
	joinPar := flag.Int("join-par", 8, "concurrent Join calls")
	joinRate := flag.Float64("join-rate", 0, "start at most this many Join calls per second (0 = no limit)")
	joinK := flag.Float64("join-k", 0, "if > 0, also pace joins at most joinK/size per second: every join costs every member work, so a bigger cluster joins slower (0 = off)")
	joinBatch := flag.Int("join-batch", 0, "if > 0, join in batches of this many, waiting between batches until the packet rate is at most join-drain per member per second (gossip queues drained) and no suspicion for join-quiet")
	joinDrain := flag.Float64("join-drain", 3, "packets per member per second that count as drained (probing alone is about 2)")
	joinQuiet := flag.Duration("join-quiet", 0, "if > 0, start the next Join only after this long without a new suspicion anywhere (keeps the join phase from tipping an overloaded process into a suspicion storm)")
	progress := flag.Duration("progress", 5*time.Second, "interval of progress lines on stderr during the join phase")
	gogc := flag.Int("gogc", 100, "Go GC percent for this process (harness runtime setting, not a memberlist one)")
	memLimit := flag.Int64("memlimit-mib", 0, "Go soft memory limit in MiB (with -gogc -1: collect only near this limit; 0 = none)")
	cpuprof := flag.String("cpuprofile", "", "write a CPU profile of the first 60 s to this file (diagnosis only)")
	flag.Parse()
	if *cpuprof != "" {
		f, err := os.Create(*cpuprof)
		if err == nil && pprof.StartCPUProfile(f) == nil {
			time.AfterFunc(60*time.Second, pprof.StopCPUProfile)
		}
	}
	debug.SetGCPercent(*gogc)
	if *memLimit > 0 {
		debug.SetMemoryLimit(*memLimit << 20)
	}
	sink := &countSink{}
	mconf := gometrics.DefaultConfig("")
	mconf.EnableHostname = false
	mconf.EnableRuntimeMetrics = false
	if _, err := gometrics.NewGlobal(mconf, sink); err != nil {
		fmt.Fprintln(os.Stderr, "metrics:", err)
		os.Exit(1)
	}

	t0 := time.Now()
	cpu0 := cpuSeconds()
	res := &result{
		Memberlist: "0.2.2 (Debian golang-github-hashicorp-memberlist-dev 0.2.2-2)",
		Go:         runtime.Version(),
		Nodes:      *n, Crashes: *c, Seed: *seed, Loss: *loss, DisableTcpPings: *noTCP, GOGC: *gogc, MemLimitMiB: *memLimit, JoinRate: *joinRate, JoinK: *joinK, JoinQuietS: joinQuiet.Seconds(), JoinBatch: *joinBatch,
		Phases:    map[string]phase{},
		LoadStart: loadAvg(),
	}
	var outMu sync.Mutex
	printed := false
	emit := func() {
		outMu.Lock()
		defer outMu.Unlock()
		if printed {
			return
		}
		printed = true
		res.WallS = round1(time.Since(t0).Seconds())
		res.CPUS = round1(cpuSeconds() - cpu0)
		res.LoadEnd = loadAvg()
		b, _ := json.Marshal(res)
		fmt.Println(string(b))
	}
	// Hard stop: whatever happens, print what we have and exit.
	hard := *joinTimeout + *settle + *window + *deadline + 30*time.Second
	time.AfterFunc(hard, func() {
		res.Aborted = "hard stop after " + hard.String()
		emit()
		os.Exit(2)
	})

	rng := rand.New(rand.NewSource(*seed))
	nw := &network{byAddr: map[string]*transport{}, byName: map[string]*transport{}, loss: *loss,
		rng: rand.New(rand.NewSource(*seed + 7919))}
	rec := &recorder{idx: map[string]int{}, crashed: make([]time.Time, *n), deadSeen: map[[2]int]bool{}, doneCount: map[int]int{}}
	ts := make([]*transport, *n)
	for i := 0; i < *n; i++ {
		name := fmt.Sprintf("n%04d", i)
		port := 10000 + i
		tr := &transport{net: nw, name: name, addr: "127.0.0.1:" + strconv.Itoa(port), port: port,
			packetCh: make(chan *memberlist.Packet, 1024), streamCh: make(chan net.Conn),
			deadCh: make(chan struct{}), conns: map[*pipeEnd]struct{}{}}
		ts[i] = tr
		nw.byAddr[tr.addr] = tr
		nw.byName[name] = tr
		rec.idx[name] = i
	}

	lag := &lagMeter{}
	stopLag := make(chan struct{})
	go lag.run(stopLag)

	// Create all members: DefaultLANConfig() with only name, transport,
	// logging and the recording delegates changed.
	ms := make([]*memberlist.Memberlist, *n)
	for i := 0; i < *n; i++ {
		conf := memberlist.DefaultLANConfig()
		conf.Name = ts[i].name
		conf.Transport = ts[i]
		conf.LogOutput = io.Discard
		conf.Events = &events{i: i, r: rec}
		conf.Ping = &pings{r: rec}
		if *noTCP {
			conf.DisableTcpPings = true
		}
		if i == 0 {
			res.Config = map[string]string{
				"ProbeInterval": conf.ProbeInterval.String(), "ProbeTimeout": conf.ProbeTimeout.String(),
				"SuspicionMult": strconv.Itoa(conf.SuspicionMult), "SuspicionMaxTimeoutMult": strconv.Itoa(conf.SuspicionMaxTimeoutMult),
				"GossipInterval": conf.GossipInterval.String(), "GossipNodes": strconv.Itoa(conf.GossipNodes),
				"IndirectChecks": strconv.Itoa(conf.IndirectChecks), "RetransmitMult": strconv.Itoa(conf.RetransmitMult),
				"PushPullInterval": conf.PushPullInterval.String(), "AwarenessMaxMultiplier": strconv.Itoa(conf.AwarenessMaxMultiplier),
				"DisableTcpPings": strconv.FormatBool(conf.DisableTcpPings), "GOMAXPROCS": strconv.Itoa(runtime.GOMAXPROCS(0)),
			}
		}
		m, err := memberlist.Create(conf)
		if err != nil {
			fmt.Fprintln(os.Stderr, "create:", err)
			os.Exit(1)
		}
		ms[i] = m
	}

	type markT struct {
		at    time.Time
		cpu   float64
		ok    int64
		sink  sinkSnap
		gc    uint64
		alloc float64
	}
	mark := func() markT {
		gcs, _, _, alloc := gcStats()
		return markT{time.Now(), cpuSeconds(), atomic.LoadInt64(&rec.pingOK), sink.snap(), gcs, alloc}
	}
	endPhase := func(name string, m0 markT, liveNodes int) {
		w := time.Since(m0.at).Seconds()
		cu := cpuSeconds() - m0.cpu
		s1 := sink.snap()
		lags := durMs(lag.take())
		sort.Float64s(lags)
		p := phase{WallS: round1(w), CPUS: round1(cu), CPUCores: round3(cu / w),
			ProbesOver1100ms: s1.over - m0.sink.over, DegradedProbes: s1.degradedProbe - m0.sink.degradedProbe,
			Suspicions: s1.suspect - m0.sink.suspect, DegradedTimeouts: s1.degradedTimeout - m0.sink.degradedTimeout}
		if liveNodes > 0 && w > 0 {
			p.ProbesOKPerNodeS = round3(float64(atomic.LoadInt64(&rec.pingOK)-m0.ok) / float64(liveNodes) / w)
			p.ProbesPerNodeS = round3(float64(s1.probes-m0.sink.probes) / float64(liveNodes) / w)
		}
		gcs, heap, _, alloc := gcStats()
		p.GCCycles, p.HeapMiBEnd = gcs-m0.gc, math.Round(heap)
		if w > 0 {
			p.AllocMiBPerS = round1((alloc - m0.alloc) / w)
		}
		if d := s1.probes - m0.sink.probes; d > 0 {
			p.ProbeMeanMs = round1(float64(s1.msSum-m0.sink.msSum) / float64(d))
		}
		if len(lags) > 0 {
			p.SchedLagP99Ms = round1(pct(lags, 99))
			p.SchedLagMaxMs = round1(lags[len(lags)-1])
		}
		res.Phases[name] = p
	}

	// Join everyone to the seed (member 0), join-par at a time.
	pm := mark()
	ps := pm.at
	seedAddr := ts[0].addr
	var wg sync.WaitGroup
	sem := make(chan struct{}, *joinPar)
	var joinErrs, joined int64
	lastJoin := ps
	stopProg := make(chan struct{})
	var lastSuspicion int64 // unix ns of the last change of the suspicion count
	go func() {
		last := sink.snap().suspect
		for {
			select {
			case <-stopProg:
				return
			case <-time.After(100 * time.Millisecond):
			}
			if cur := sink.snap().suspect; cur != last {
				last = cur
				atomic.StoreInt64(&lastSuspicion, time.Now().UnixNano())
			}
		}
	}()
	go func() {
		for {
			select {
			case <-stopProg:
				return
			case <-time.After(*progress):
			}
			sn := sink.snap()
			gcs, heap, goal, alloc := gcStats()
			fmt.Fprintf(os.Stderr, "t=%.0fs joined=%d cpu=%.1fs probes=%d suspicions=%d dead=%d delivered=%d overflow=%d goroutines=%d lagMaxMs=%.0f gc=%d heapMiB=%.0f goalMiB=%.0f allocMiB=%.0f load=%s\n",
				time.Since(ps).Seconds(), atomic.LoadInt64(&joined), cpuSeconds()-cpu0, sn.probes, sn.suspect, sn.deadMsg,
				atomic.LoadInt64(&nw.delivered), atomic.LoadInt64(&nw.overflow), runtime.NumGoroutine(),
				float64(lag.recentMax())/1e6, gcs, heap, goal, alloc, loadAvg())
		}
	}()
	for i := 1; i < *n; i++ {
		if *joinBatch > 0 && i > 1 && (i-1)%*joinBatch == 0 {
			// Batch mode: let the previous batch's gossip drain first. Gossip
			// packs many broadcasts per packet, so joins in batches cost far
			// fewer packets than the same joins one by one.
			wg.Wait()
			for time.Since(ps) < *joinTimeout {
				d0 := atomic.LoadInt64(&nw.delivered)
				time.Sleep(time.Second)
				rate := float64(atomic.LoadInt64(&nw.delivered) - d0)
				quiet := time.Since(time.Unix(0, atomic.LoadInt64(&lastSuspicion))) >= *joinQuiet
				if quiet && rate <= *joinDrain*float64(i) {
					break
				}
			}
		}
		if i > 1 {
			gap := 0.0
			if *joinRate > 0 {
				gap = 1 / *joinRate
			}
			if *joinK > 0 && float64(i) / *joinK > gap {
				gap = float64(i) / *joinK
			}
			if gap > 0 {
				time.Sleep(time.Until(lastJoin.Add(time.Duration(gap * float64(time.Second)))))
			}
		}
		if *joinQuiet > 0 {
			for time.Since(time.Unix(0, atomic.LoadInt64(&lastSuspicion))) < *joinQuiet && time.Since(ps) < *joinTimeout {
				time.Sleep(100 * time.Millisecond)
			}
			if time.Since(ps) >= *joinTimeout {
				break
			}
		}
		lastJoin = time.Now()
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			if _, err := ms[i].Join([]string{seedAddr}); err != nil {
				atomic.AddInt64(&joinErrs, 1)
			}
			atomic.AddInt64(&joined, 1)
		}(i)
	}
	wg.Wait()
	res.JoinS = round1(time.Since(ps).Seconds())
	if joinErrs > 0 {
		fmt.Fprintln(os.Stderr, "join errors:", joinErrs)
	}
	// Wait until every member sees all N.
	for {
		all := true
		for i := 0; i < *n; i++ {
			if ms[i].NumMembers() != *n {
				all = false
				break
			}
		}
		if all {
			v := round1(time.Since(ps).Seconds())
			res.ConvergeS = &v
			break
		}
		if time.Since(ps) > *joinTimeout {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	close(stopProg)
	endPhase("join", pm, *n)
	fmt.Fprintf(os.Stderr, "converged: %v after %.1fs (join calls %.1fs)\n", res.ConvergeS != nil, time.Since(ps).Seconds(), res.JoinS)
	if res.ConvergeS == nil {
		res.Aborted = "no convergence"
		emit()
		os.Exit(2)
	}

	// Settle: steady state, no crashes. Measure probe rate, RTT, CPU here.
	atomic.StoreInt32(&rec.rttOn, 1)
	sm := mark()
	time.Sleep(*settle)
	endPhase("settle", sm, *n)
	atomic.StoreInt32(&rec.rttOn, 0)
	rec.rttMu.Lock()
	res.RTTSettle = mkDist(durMs(rec.rtts), false)
	rec.rttMu.Unlock()
	rec.mu.Lock()
	preLeaves := len(rec.leaves)
	res.RejoinsSetup = rec.rejoins
	rec.mu.Unlock()
	res.FalseDeadSetup = preLeaves
	fmt.Fprintf(os.Stderr, "settled; leaves so far %d\n", preLeaves)

	// Pick victims and times.
	perm := rng.Perm(*n)
	victims := perm[:*c]
	offsets := make([]time.Duration, *c)
	for k := range offsets {
		offsets[k] = time.Duration(rng.Int63n(int64(*window)))
	}
	sort.Slice(offsets, func(a, b int) bool { return offsets[a] < offsets[b] })
	isVictim := make([]bool, *n)
	for _, v := range victims {
		isVictim[v] = true
	}
	live := *n - *c

	dm := mark()
	ds := dm.at
	crashDone := make(chan struct{})
	go func() {
		for k, v := range victims {
			time.Sleep(time.Until(ds.Add(offsets[k])))
			now := time.Now()
			ts[v].crash() // network-level death first, at the recorded instant
			rec.mu.Lock()
			rec.crashed[v] = now
			rec.mu.Unlock()
			go ms[v].Shutdown() // no Leave(): stop its goroutines
		}
		close(crashDone)
	}()

	// Wait for every never-crashed member to mark every victim dead.
	var lastCrash time.Time
	var healthMax int
	for {
		time.Sleep(100 * time.Millisecond)
		for i := 0; i < *n; i++ {
			if !isVictim[i] {
				if h := ms[i].GetHealthScore(); h > healthMax {
					healthMax = h
				}
			}
		}
		select {
		case <-crashDone:
			if lastCrash.IsZero() {
				rec.mu.Lock()
				for _, v := range victims {
					if rec.crashed[v].After(lastCrash) {
						lastCrash = rec.crashed[v]
					}
				}
				rec.mu.Unlock()
			}
		default:
		}
		rec.mu.Lock()
		seen := map[int]map[int]bool{}
		for _, ev := range rec.leaves {
			if isVictim[ev.target] && !isVictim[ev.observer] {
				if seen[ev.target] == nil {
					seen[ev.target] = map[int]bool{}
				}
				seen[ev.target][ev.observer] = true
			}
		}
		rec.mu.Unlock()
		complete := !lastCrash.IsZero()
		for _, v := range victims {
			if len(seen[v]) < live {
				complete = false
			}
		}
		if complete || (!lastCrash.IsZero() && time.Since(lastCrash) > *deadline) {
			break
		}
	}
	endPhase("detect", dm, live)
	close(stopLag)
	res.MaxHealthScore = healthMax

	// Analyse.
	rec.mu.Lock()
	firstBy := map[[2]int]time.Time{} // (observer,target) -> first dead verdict
	falseNodes := map[int]bool{}
	for _, ev := range rec.leaves[preLeaves:] {
		ct := rec.crashed[ev.target]
		if ct.IsZero() || ev.at.Before(ct) {
			res.FalseDead++
			falseNodes[ev.target] = true
			continue
		}
		k := [2]int{ev.observer, ev.target}
		if _, ok := firstBy[k]; !ok {
			firstBy[k] = ev.at
		}
	}
	res.FalseDeadNodes = len(falseNodes)
	res.Rejoins = rec.rejoins - res.RejoinsSetup
	var det, first, perObs []float64
	for _, v := range victims {
		ct := rec.crashed[v]
		var last, earliest time.Time
		cnt := 0
		for o := 0; o < *n; o++ {
			at, ok := firstBy[[2]int{o, v}]
			if !ok {
				continue
			}
			if earliest.IsZero() || at.Before(earliest) {
				earliest = at
			}
			if isVictim[o] {
				continue
			}
			cnt++
			perObs = append(perObs, float64(at.Sub(ct))/1e6)
			if at.After(last) {
				last = at
			}
		}
		if !earliest.IsZero() {
			first = append(first, float64(earliest.Sub(ct))/1e6)
		}
		if cnt == live {
			ms := float64(last.Sub(ct)) / 1e6
			det = append(det, ms)
			r := math.Round(ms)
			res.PerCrashMs = append(res.PerCrashMs, &r)
		} else {
			res.Undetected++
			res.PerCrashMs = append(res.PerCrashMs, nil)
		}
	}
	rec.mu.Unlock()
	res.Detection = mkDist(det, false)
	res.FirstDead = mkDist(first, true)
	res.PerObserver = mkDist(perObs, false)
	res.Packets = map[string]int64{
		"delivered": atomic.LoadInt64(&nw.delivered), "lostRandom": atomic.LoadInt64(&nw.lost),
		"toOrFromDead": atomic.LoadInt64(&nw.deadDrops), "queueOverflow": atomic.LoadInt64(&nw.overflow),
		"streams": atomic.LoadInt64(&nw.streams), "refused": atomic.LoadInt64(&nw.refused),
	}
	emit()
}
