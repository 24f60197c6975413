#!/usr/bin/env python3
"""A userspace stand-in for `tc netem` loss and delay, for kernels built without sch_netem.

It runs in a relay namespace between each test host and the bridge (test/support/netns.ts,
TestLan with `relay: true`): the host's veth has its peer HOSTSIDE here, and BRIDGESIDE is a
veth whose peer is the host's bridge port. It forwards every frame between the two, and
impairs only the frames from HOSTSIDE to BRIDGESIDE: the host's egress, where netem would sit.

    ip netns exec <relay ns> python3 link-impairer.py SEED HOSTSIDE:BRIDGESIDE [...]

Control, one JSON object a line on stdin, each answered by one line on stdout ("ok", a JSON
state for "show", or "error: ..."); "ready" is printed once the sockets are open:
    {"link": 0, "loss": 0.2}                  drop 20% of link 0's egress frames (Bernoulli)
    {"link": 0, "delay": 200, "jitter": 50}   hold each for 200 ms ± 50 ms (uniform), in ms
    {"link": 0, "seed": 7}                    restart link 0's PRNG (with any of the above)
    {"clear": true}                           no impairment on any link (held frames still
                                              leave at their due time, as in-flight ones do)
    {"show": true}                            [{"loss":…, "delay":…, "jitter":…, "held":…,
                                              "dropped":…, "forwarded":…}, …] per link
Closing stdin ends the process (so it dies with the test that started it).

How it compares with netem on the host's device:
- Frames are read and sent with PACKET_VNET_HDR: veth hands TCP over as GSO frames of up to
  64 KiB whose checksum is not filled in yet, which a plain AF_PACKET copy could not send on
  (too big) nor the receiver accept (bad checksum). The offload header goes along, so such a
  frame is forwarded whole, as one skb: loss and delay apply per skb, as netem's do.
- A drop is silent, as netem's is; but the frames held for delay are not in the host's
  qdisc, so its TCP small-queues limit never holds a sender back as netem's queue can.
- Jitter is uniform in [delay − jitter, delay + jitter], netem's default without a
  distribution table; frames leave in due-time order, so jitter reorders them, as netem does.
  Correlation, duplication, corruption and rate are not implemented (the matrix uses none).
- At most LIMIT_FRAMES are held per link (netem's default `limit 1000`); more are dropped.
- Every frame is read and written by this process: ~0.2 ms more per frame (a ping between two
  hosts went from 0.06 to 0.44 ms round trip on an idle 2-core VM), and CPU on a busy one.
"""
import heapq
import json
import os
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
SOL_PACKET = 263
PACKET_VNET_HDR = 15
PACKET_IGNORE_OUTGOING = 23
PACKET_OUTGOING = 4
SO_RCVBUFFORCE = 33
SO_SNDBUFFORCE = 32
# A vnet header (10 bytes) plus a GSO frame of up to 64 KiB (veth's gso_max_size), with room.
FRAME_BYTES_MAX = 256 * 1024
# Socket buffers: 200 ms of a busy TCP stream fits; the default (~200 KiB) holds 3 GSO frames.
SOCKET_BUFFER_BYTES = 8 * 1024 * 1024
LIMIT_FRAMES = 1000
# Frames read from one socket per wakeup, so that one busy link cannot starve the others.
BURST_FRAMES = 64


def open_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(SOL_PACKET, PACKET_VNET_HDR, 1)
    try:
        # Our own sends on this interface are not echoed back (Linux ≥ 4.20); the pkttype
        # check in `drain` covers older kernels.
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass
    s.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, SOCKET_BUFFER_BYTES)
    s.setsockopt(socket.SOL_SOCKET, SO_SNDBUFFORCE, SOCKET_BUFFER_BYTES)
    s.bind((ifname, ETH_P_ALL))
    s.setblocking(False)
    return s


class Link:
    def __init__(self, index, host_side, bridge_side, seed):
        self.index = index
        self.host = open_socket(host_side)
        self.bridge = open_socket(bridge_side)
        self.rng = random.Random(f"{seed}/{index}")
        self.loss = 0.0
        self.delay_ms = 0.0
        self.jitter_ms = 0.0
        self.held = 0
        self.dropped = 0
        self.forwarded = 0

    def state(self):
        return {"loss": self.loss, "delay": self.delay_ms, "jitter": self.jitter_ms, "held": self.held, "dropped": self.dropped, "forwarded": self.forwarded}


def send(sock, frame):
    try:
        sock.send(frame)
        return True
    except OSError:
        # The host's link is down (a partition), or the socket buffer is full: the frame is
        # lost, as on a wire.
        return False


class Relay:
    def __init__(self, seed, pairs):
        self.seed = seed
        self.links = [Link(i, a, b, seed) for i, (a, b) in enumerate(pairs)]
        self.by_fd = {}
        for link in self.links:
            self.by_fd[link.host.fileno()] = (link, True)
            self.by_fd[link.bridge.fileno()] = (link, False)
        self.buf = bytearray(FRAME_BYTES_MAX)
        self.view = memoryview(self.buf)
        # (due, sequence number, link, frame): the sequence keeps equal due times in arrival order.
        self.heap = []
        self.sequence = 0
        self.stdin_buf = b""

    def drain(self, link, from_host):
        sock = link.host if from_host else link.bridge
        for _ in range(BURST_FRAMES):
            try:
                n, addr = sock.recvfrom_into(self.buf, FRAME_BYTES_MAX, socket.MSG_TRUNC)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                # ENETDOWN after the peer went down, or a frame the kernel could not describe
                # in a vnet header: nothing to forward.
                return
            if addr[2] == PACKET_OUTGOING or n > FRAME_BYTES_MAX:
                continue
            frame = bytes(self.view[:n])
            if not from_host:
                send(link.host, frame)
                continue
            self.egress(link, frame)

    def egress(self, link, frame):
        if link.loss > 0 and link.rng.random() < link.loss:
            link.dropped += 1
            return
        if link.delay_ms <= 0 and link.jitter_ms <= 0:
            if send(link.bridge, frame):
                link.forwarded += 1
            return
        if link.held >= LIMIT_FRAMES:
            link.dropped += 1
            return
        delay = link.delay_ms + (link.rng.uniform(-link.jitter_ms, link.jitter_ms) if link.jitter_ms > 0 else 0)
        self.sequence += 1
        link.held += 1
        heapq.heappush(self.heap, (time.monotonic() + max(0.0, delay) / 1000, self.sequence, link, frame))

    def release(self, now):
        while self.heap and self.heap[0][0] <= now:
            _, _, link, frame = heapq.heappop(self.heap)
            link.held -= 1
            if send(link.bridge, frame):
                link.forwarded += 1

    def command(self, line):
        try:
            cmd = json.loads(line)
            if cmd.get("show"):
                return json.dumps([link.state() for link in self.links])
            if cmd.get("clear"):
                for link in self.links:
                    link.loss = link.delay_ms = link.jitter_ms = 0.0
                return "ok"
            link = self.links[int(cmd["link"])]
            loss = float(cmd.get("loss", link.loss))
            delay = float(cmd.get("delay", link.delay_ms))
            jitter = float(cmd.get("jitter", link.jitter_ms))
            if not 0 <= loss <= 1 or delay < 0 or jitter < 0 or jitter > delay:
                return f"error: loss must be in [0, 1], 0 <= jitter <= delay: {line}"
            if "seed" in cmd:
                link.rng = random.Random(f"{self.seed}/{link.index}/{cmd['seed']}")
            link.loss, link.delay_ms, link.jitter_ms = loss, delay, jitter
            return "ok"
        except (ValueError, KeyError, IndexError, TypeError) as err:
            return f"error: {err}: {line}"

    def read_stdin(self):
        chunk = os.read(0, 65536)
        if not chunk:
            sys.exit(0)
        self.stdin_buf += chunk
        *lines, self.stdin_buf = self.stdin_buf.split(b"\n")
        for line in lines:
            if line.strip():
                print(self.command(line.decode()), flush=True)

    def run(self):
        poller = select.poll()
        poller.register(0, select.POLLIN)
        for fd in self.by_fd:
            poller.register(fd, select.POLLIN)
        print("ready", flush=True)
        while True:
            timeout_ms = None
            if self.heap:
                # Round up: waking early only loops once more, waking late delays a frame.
                timeout_ms = max(0, int((self.heap[0][0] - time.monotonic()) * 1000) + 1)
            for fd, events in poller.poll(timeout_ms):
                if fd == 0:
                    self.read_stdin()
                else:
                    # POLLERR too: reading takes the error (ENETDOWN) off the socket.
                    self.drain(*self.by_fd[fd])
            self.release(time.monotonic())


def main():
    if len(sys.argv) < 3:
        sys.exit(f"usage: {sys.argv[0]} SEED HOSTSIDE:BRIDGESIDE [...]")
    try:
        # No IPv6 of the relay's own on its interfaces (router and neighbour solicitations):
        # the only frames it sends are the ones it forwards.
        with open("/proc/sys/net/ipv6/conf/all/disable_ipv6", "w") as f:
            f.write("1")
    except OSError:
        pass
    pairs = [tuple(arg.split(":", 1)) for arg in sys.argv[2:]]
    Relay(int(sys.argv[1]), pairs).run()


if __name__ == "__main__":
    main()
