// SPDX-License-Identifier: GPL-2.0
#include "engine.h"

#include <algorithm>
#include <chrono>
#include <thread>
#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <memory>
#include <netinet/in.h>
#include <poll.h>
#include <random>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include "frame.h"

namespace vnet {

std::string to_string(Mode m)
{
	switch (m) {
	case Mode::tx: return "tx";
	case Mode::rx: return "rx";
	case Mode::rr: return "rr";
	}
	return "?";
}

unsigned RunOptions::effective_window() const
{
	if (window)
		return window;
	// Floods: enough to keep the ring busy, but below the tap's queue (500
	// frames) so a host->guest burst is never dropped for want of room.
	return mode == Mode::rr ? 1 : 256;
}

namespace {

constexpr unsigned kMmsgBatch = 64;
constexpr uint8_t kHdrNeedsCsum = 1;  // VIRTIO_NET_HDR_F_NEEDS_CSUM

std::string hex(uint64_t v)
{
	char b[24];
	snprintf(b, sizeof(b), "0x%llx", static_cast<unsigned long long>(v));
	return b;
}

uint64_t thread_cpu_ns()
{
	rusage ru{};
	getrusage(RUSAGE_THREAD, &ru);
	auto tv = [](const timeval &t) { return uint64_t(t.tv_sec) * 1000000000ull + uint64_t(t.tv_usec) * 1000; };
	return tv(ru.ru_utime) + tv(ru.ru_stime);
}

class Engine {
public:
	Engine(const RunOptions &o, RunResult &r);
	void run();

private:
	// Guest side.
	bool reap_tx();
	bool reap_rx();
	void post_rx();
	void deliver(std::span<const uint8_t> hdr, std::span<const uint8_t> frame);
	bool guest_send(uint64_t seq);
	void flush(unsigned q);
	// Host side.
	bool host_receive();
	bool host_send();
	// Pacing and waiting.
	uint64_t due_count(uint64_t now) const;
	void wait(uint64_t timeout_ns);
	void take_interrupts(unsigned q);
	bool produce();
	bool finished() const;
	void finish();
	void inject_bad_descriptor();

	const RunOptions &o_;
	RunResult &r_;
	LinkAddrs addrs_;
	std::unique_ptr<Device> dev_;
	Fd sock_;
	uint32_t cookie_;
	SequenceChecker up_, down_;
	QueueCounters *qc_[2];

	std::vector<uint16_t> free_bufs_[2];
	std::vector<uint16_t> head_buf_[2];
	std::vector<uint8_t> scratch_, frame_buf_, rx_assembly_;
	std::vector<uint8_t> rx_hdr_;
	unsigned rx_pending_expected_ = 0, rx_pending_have_ = 0;
	uint64_t rx_used_total_ = 0;

	uint64_t sent_ = 0;	    // guest TX frames (tx, rr) or host sends (rx)
	uint64_t seen_up_ = 0;	    // host-side receipts of our flow
	uint64_t seen_down_ = 0;    // guest-side receipts of our flow
	bool want_pollout_ = false;
	bool tx_blocked_ = false;
	std::vector<uint64_t> sent_at_;  // rr: send time per seq
	std::vector<uint64_t> rtts_;
	uint64_t t_start_ = 0, t_last_ = 0;
	bool abort_ = false;
};

Engine::Engine(const RunOptions &o, RunResult &r)
	: o_(o), r_(r), up_(o.mode == Mode::rx ? 0 : o.frames),
	  down_(o.mode == Mode::tx ? 0 : o.frames)
{
	std::random_device rd;
	cookie_ = rd();
	qc_[kRxQ] = &r_.rxq;
	qc_[kTxQ] = &r_.txq;
}

void Engine::flush(unsigned q)
{
	Virtqueue &vq = dev_->queue(q);
	if (!vq.unpublished())
		return;
	if (vq.publish()) {
		eventfd_kick(dev_->kick_fd(q));
		qc_[q]->kicks++;
		spin_ns(o_.exit_cost_ns);
	} else {
		qc_[q]->kicks_suppressed++;
	}
}

void Engine::post_rx()
{
	Virtqueue &vq = dev_->queue(kRxQ);
	const size_t hl = dev_->hdr_len(), bs = dev_->buf_size(kRxQ);
	const bool split = !dev_->mergeable() && dev_->split_header();
	const unsigned segs = split ? 2 : 1;
	while (!free_bufs_[kRxQ].empty() && vq.num_free() >= vq.cost(segs, o_.dev.indirect)) {
		uint16_t b = free_bufs_[kRxQ].back();
		uint64_t gpa = dev_->buf_gpa(kRxQ, b);
		Segment s[2];
		if (split) {
			s[0] = {gpa, uint32_t(hl), true};
			s[1] = {gpa + hl, uint32_t(bs - hl), true};
		} else {
			s[0] = {gpa, uint32_t(bs), true};
		}
		auto head = vq.add({s, segs}, o_.dev.indirect);
		free_bufs_[kRxQ].pop_back();
		head_buf_[kRxQ][*head] = b;
	}
}

bool Engine::guest_send(uint64_t seq)
{
	Virtqueue &vq = dev_->queue(kTxQ);
	const bool split = dev_->split_header();
	const unsigned segs = split ? 2 : 1;
	if (free_bufs_[kTxQ].empty() || vq.num_free() < vq.cost(segs, o_.dev.indirect)) {
		tx_blocked_ = true;
		return false;
	}
	const size_t hl = dev_->hdr_len();
	const size_t plen = o_.sizes.size_for(seq);
	fill_payload({scratch_.data(), plen}, seq, cookie_);
	// Header (all zero: no offloads, no GSO) then the frame, in one copy.
	std::fill(frame_buf_.begin(), frame_buf_.begin() + hl, 0);
	size_t flen = build_udp_frame({frame_buf_.data() + hl, frame_buf_.size() - hl},
				      addrs_.guest_to_host(), {scratch_.data(), plen},
				      uint16_t(seq));
	uint16_t b = free_bufs_[kTxQ].back();
	uint64_t gpa = o_.inject_bad_gpa ? dev_->unmapped_gpa() : dev_->buf_gpa(kTxQ, b);
	if (!o_.inject_bad_gpa)
		dev_->mem().write(gpa, {frame_buf_.data(), hl + flen});
	Segment s[2];
	if (split) {
		s[0] = {gpa, uint32_t(hl), false};
		s[1] = {gpa + hl, uint32_t(flen), false};
	} else {
		s[0] = {gpa, uint32_t(hl + flen), false};
	}
	auto head = vq.add({s, segs}, o_.dev.indirect);
	free_bufs_[kTxQ].pop_back();
	head_buf_[kTxQ][*head] = b;
	return true;
}

bool Engine::reap_tx()
{
	Virtqueue &vq = dev_->queue(kTxQ);
	bool any = false;
	while (auto u = vq.get_used()) {
		free_bufs_[kTxQ].push_back(head_buf_[kTxQ][u->head]);
		qc_[kTxQ]->used++;
		any = true;
	}
	if (any)
		tx_blocked_ = false;
	return any;
}

bool Engine::reap_rx()
{
	Virtqueue &vq = dev_->queue(kRxQ);
	const size_t hl = dev_->hdr_len();
	bool any = false;
	while (auto u = vq.get_used()) {
		any = true;
		rx_used_total_++;
		qc_[kRxQ]->used++;
		const uint16_t b = head_buf_[kRxQ][u->head];
		free_bufs_[kRxQ].push_back(b);
		const uint64_t gpa = dev_->buf_gpa(kRxQ, b);
		if (u->len > dev_->buf_size(kRxQ))
			throw RingError("RX used length " + std::to_string(u->len) +
					" exceeds the buffer (" +
					std::to_string(dev_->buf_size(kRxQ)) + ")");
		if (!dev_->mergeable()) {
			if (u->len < hl) {
				r_.header_errors++;
				continue;
			}
			rx_assembly_.resize(u->len);
			dev_->mem().read(gpa, rx_assembly_);
			deliver({rx_assembly_.data(), hl},
				{rx_assembly_.data() + hl, u->len - hl});
			continue;
		}
		// Mergeable: the first buffer starts with the header, whose
		// num_buffers says how many used entries make up the frame.
		if (rx_pending_expected_ == 0) {
			if (u->len < hl) {
				r_.header_errors++;
				continue;
			}
			rx_hdr_.resize(hl);
			dev_->mem().read(gpa, rx_hdr_);
			unsigned nb = rx_hdr_[10] | rx_hdr_[11] << 8;
			if (nb == 0 || nb > vq.num())
				throw RingError("RX header num_buffers " + std::to_string(nb));
			rx_pending_expected_ = nb;
			rx_pending_have_ = 0;
			rx_assembly_.resize(u->len - hl);
			dev_->mem().read(gpa + hl, rx_assembly_);
		} else {
			size_t at = rx_assembly_.size();
			rx_assembly_.resize(at + u->len);
			dev_->mem().read(gpa, {rx_assembly_.data() + at, u->len});
		}
		if (++rx_pending_have_ == rx_pending_expected_) {
			if (rx_pending_expected_ > 1)
				r_.merged_frames++;
			rx_pending_expected_ = 0;
			deliver(rx_hdr_, rx_assembly_);
		}
	}
	if (any) {
		post_rx();
		flush(kRxQ);
	}
	return any;
}

void Engine::deliver(std::span<const uint8_t> hdr, std::span<const uint8_t> frame)
{
	// No offloads were negotiated: the device must not ask for checksum
	// completion or hand us GSO frames.
	if ((hdr[0] & kHdrNeedsCsum) || hdr[1] != 0)
		r_.header_errors++;
	ParsedFrame p = parse_udp_frame(frame);
	const Flow want = addrs_.host_to_guest();
	if (p.status == ParseStatus::not_ipv4 || p.status == ParseStatus::not_udp ||
	    (p.status == ParseStatus::ok &&
	     (p.flow.dst_port != want.dst_port || p.flow.src_port != want.src_port ||
	      p.flow.dst_ip != want.dst_ip || p.flow.src_ip != want.src_ip))) {
		r_.foreign_frames++;
		return;
	}
	seen_down_++;
	if (p.status != ParseStatus::ok || p.flow.dst_mac != want.dst_mac ||
	    p.flow.src_mac != want.src_mac) {
		down_.record_corrupted();
		return;
	}
	PayloadCheck c = check_payload(p.payload, cookie_, o_.sizes);
	if (c.status != PayloadStatus::ok) {
		down_.record_corrupted();
		return;
	}
	if (down_.record(c.seq)) {
		t_last_ = now_ns();
		r_.frame_bytes += frame.size();
		r_.payload_bytes += p.payload.size();
		if (o_.mode == Mode::rr && c.seq < sent_at_.size())
			rtts_.push_back(t_last_ - sent_at_[c.seq]);
	}
}

bool Engine::host_receive()
{
	mmsghdr msgs[kMmsgBatch];
	iovec iov[kMmsgBatch];
	sockaddr_in from[kMmsgBatch];
	static thread_local std::vector<uint8_t> bufs(kMmsgBatch * 2048);
	std::memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < kMmsgBatch; i++) {
		iov[i] = {bufs.data() + i * 2048, 2048};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &from[i];
		msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
	}
	int n = recvmmsg(sock_.get(), msgs, kMmsgBatch, MSG_DONTWAIT, nullptr);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		throw SysError("recvmmsg", errno);
	}
	mmsghdr echo[kMmsgBatch];
	unsigned ne = 0;
	for (int i = 0; i < n; i++) {
		const sockaddr_in &f = from[i];
		if (ntohl(f.sin_addr.s_addr) != addrs_.guest_ip ||
		    ntohs(f.sin_port) != addrs_.guest_port) {
			r_.foreign_frames++;
			continue;
		}
		seen_up_++;
		std::span<const uint8_t> p{bufs.data() + i * 2048, msgs[i].msg_len};
		PayloadCheck c = check_payload(p, cookie_, o_.sizes);
		if ((msgs[i].msg_hdr.msg_flags & MSG_TRUNC) || c.status != PayloadStatus::ok) {
			up_.record_corrupted();
			continue;
		}
		if (!up_.record(c.seq))
			continue;
		if (o_.mode == Mode::tx) {
			t_last_ = now_ns();
			r_.frame_bytes += kFrameOverhead + p.size();
			r_.payload_bytes += p.size();
		} else {
			echo[ne] = {};
			echo[ne].msg_hdr.msg_iov = &iov[i];
			iov[i].iov_len = p.size();
			echo[ne].msg_hdr.msg_iovlen = 1;
			echo[ne].msg_hdr.msg_name = &from[i];
			echo[ne].msg_hdr.msg_namelen = sizeof(from[i]);
			ne++;
		}
	}
	for (unsigned done = 0; done < ne;) {
		int k = sendmmsg(sock_.get(), echo + done, ne - done, 0);
		if (k < 0) {
			if (errno == EINTR)
				continue;
			throw SysError("sendmmsg (echo)", errno);
		}
		done += unsigned(k);
	}
	return n > 0;
}

bool Engine::host_send()
{
	const uint64_t window = o_.effective_window();
	uint64_t room = window - std::min<uint64_t>(window, sent_ - seen_down_);
	uint64_t count = std::min<uint64_t>({room, o_.frames - sent_, kMmsgBatch,
					     due_count(now_ns())});
	if (!count)
		return false;
	mmsghdr msgs[kMmsgBatch];
	iovec iov[kMmsgBatch];
	static thread_local std::vector<uint8_t> bufs(kMmsgBatch * kMaxUdpPayload);
	sockaddr_in to{};
	to.sin_family = AF_INET;
	to.sin_addr.s_addr = htonl(addrs_.guest_ip);
	to.sin_port = htons(addrs_.guest_port);
	std::memset(msgs, 0, sizeof(msgs));
	for (unsigned i = 0; i < count; i++) {
		size_t len = o_.sizes.size_for(sent_ + i);
		uint8_t *p = bufs.data() + i * kMaxUdpPayload;
		fill_payload({p, len}, sent_ + i, cookie_);
		iov[i] = {p, len};
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
		msgs[i].msg_hdr.msg_name = &to;
		msgs[i].msg_hdr.msg_namelen = sizeof(to);
	}
	int k = sendmmsg(sock_.get(), msgs, unsigned(count), MSG_DONTWAIT);
	if (k < 0) {
		if (errno == EAGAIN || errno == ENOBUFS) {
			want_pollout_ = true;
			return false;
		}
		if (errno == EINTR)
			return false;
		throw SysError("sendmmsg", errno);
	}
	want_pollout_ = unsigned(k) < count;
	sent_ += unsigned(k);
	return k > 0;
}

uint64_t Engine::due_count(uint64_t now) const
{
	double elapsed = double(now - t_start_) / 1e9;
	uint64_t due;
	if (!o_.schedule.empty())
		due = uint64_t(offered_by(o_.schedule, elapsed)) + 1;
	else if (o_.rate > 0)
		due = uint64_t(elapsed * o_.rate) + 1;
	else
		return UINT64_MAX;
	return due > sent_ ? due - sent_ : 0;
}

bool Engine::produce()
{
	if (sent_ >= o_.frames)
		return false;
	if (o_.mode == Mode::rx)
		return host_send();
	const uint64_t window = o_.effective_window();
	const uint64_t done_count = o_.mode == Mode::tx ? seen_up_ : seen_down_;
	uint64_t room = window - std::min<uint64_t>(window, sent_ - done_count);
	uint64_t count = std::min<uint64_t>({room, o_.frames - sent_, due_count(now_ns())});
	const unsigned batch = o_.batch ? o_.batch : UINT32_MAX;
	unsigned in_batch = 0;
	uint64_t added = 0;
	while (added < count) {
		if (o_.mode == Mode::rr)
			sent_at_[sent_] = now_ns();
		if (!guest_send(sent_))
			break;
		sent_++;
		added++;
		if (++in_batch == batch) {
			flush(kTxQ);
			in_batch = 0;
		}
	}
	flush(kTxQ);
	return added > 0;
}

void Engine::take_interrupts(unsigned q)
{
	uint64_t v = eventfd_take(dev_->call_fd(q));
	if (!v)
		return;
	qc_[q]->interrupts++;
	qc_[q]->signals += v;
	spin_ns(o_.exit_cost_ns);
	if (!dev_->queue(q).has_used())
		qc_[q]->spurious++;
}

void Engine::wait(uint64_t timeout_ns)
{
	Virtqueue &rx = dev_->queue(kRxQ), &tx = dev_->queue(kTxQ);
	// Like a guest going idle: re-arm the interrupts we need, and if work
	// slipped in meanwhile go and do it instead of sleeping.
	// TX completions matter only when the ring is full (virtio-net stops
	// the queue and asks for a delayed interrupt); otherwise they are
	// reclaimed lazily on the next send.
	bool pending = !rx.enable_cb();
	if (o_.tx_irq_always)
		pending |= !tx.enable_cb();
	else if (tx_blocked_ && tx.in_flight())
		pending |= !tx.enable_cb_delayed();
	if (!pending) {
		pollfd fds[5] = {
			{dev_->call_fd(kRxQ), POLLIN, 0},
			{dev_->call_fd(kTxQ), POLLIN, 0},
			{dev_->err_fd(kRxQ), POLLIN, 0},
			{dev_->err_fd(kTxQ), POLLIN, 0},
			{sock_.get(), short((o_.mode != Mode::rx ? POLLIN : 0) |
					    (want_pollout_ ? POLLOUT : 0)), 0},
		};
		timespec ts{time_t(timeout_ns / 1000000000ull), long(timeout_ns % 1000000000ull)};
		int n = ppoll(fds, 5, &ts, nullptr);
		if (n < 0 && errno != EINTR)
			throw SysError("ppoll", errno);
		// Slept without a call although the device published entries it
		// was bound to signal? Allow for the device being between its
		// used-index update and the eventfd signal before calling it missed.
		for (unsigned q : {kRxQ, kTxQ}) {
			Virtqueue &vq = dev_->queue(q);
			if (!(fds[q].revents & POLLIN) && vq.signal_due()) {
				pollfd g{dev_->call_fd(q), POLLIN, 0};
				if (poll(&g, 1, 200) == 0)
					qc_[q]->missed++;
			}
		}
		for (unsigned q : {kRxQ, kTxQ})
			if (fds[2 + q].revents & POLLIN) {
				eventfd_take(dev_->err_fd(q));
				r_.err_reported = true;
				abort_ = true;
				if (!o_.inject_bad_gpa)
					r_.failures.push_back(std::string("vring ") + std::to_string(q) +
							      (q == kRxQ ? " (rx)" : " (tx)") +
							      ": backend reported an error on the err eventfd");
			}
		if (fds[4].revents & POLLOUT)
			want_pollout_ = false;
	}
	take_interrupts(kRxQ);
	take_interrupts(kTxQ);
	if (!o_.rx_irq_always)
		rx.disable_cb();
	if (!o_.tx_irq_always)
		tx.disable_cb();
}

bool Engine::finished() const
{
	if (abort_)
		return true;
	if (o_.mode == Mode::tx)
		return up_.received() == o_.frames;
	return down_.received() == o_.frames;
}

void Engine::inject_bad_descriptor()
{
	// One frame whose descriptor points into a hole of the memory table.
	guest_send(0);
	flush(kTxQ);
	const uint64_t deadline = now_ns() + o_.timeout_ms * 1000000ull;
	while (!abort_ && now_ns() < deadline)
		wait(deadline - now_ns());
	if (!r_.err_reported)
		r_.failures.push_back("descriptor at unmapped guest-physical address " +
				      hex(dev_->unmapped_gpa()) +
				      " was not reported on the TX err eventfd");
}

void Engine::run()
{
	enter_private_netns();
	dev_ = std::make_unique<Device>(o_.dev, addrs_);
	sock_ = open_host_socket(addrs_);
	r_.offered = dev_->offered();
	r_.neg = dev_->negotiation();
	r_.tap = dev_->tap_name();
	r_.straddling_buffers = dev_->mem().straddling();

	const unsigned n = o_.dev.ring;
	for (unsigned q = 0; q < 2; q++) {
		head_buf_[q].assign(n, 0);
		free_bufs_[q].clear();
		for (unsigned i = n; i-- > 0;)
			free_bufs_[q].push_back(uint16_t(i));
	}
	scratch_.resize(kMaxUdpPayload);
	frame_buf_.resize(dev_->buf_size(kTxQ));
	if (o_.mode == Mode::rr)
		sent_at_.assign(o_.frames, 0);
	rtts_.reserve(o_.mode == Mode::rr ? o_.frames : 0);

	// Start quiet: callbacks are armed only when going to sleep.
	if (o_.rx_irq_always)
		dev_->queue(kRxQ).enable_cb();
	else
		dev_->queue(kRxQ).disable_cb();
	if (o_.tx_irq_always)
		dev_->queue(kTxQ).enable_cb();
	else
		dev_->queue(kTxQ).disable_cb();
	post_rx();
	flush(kRxQ);

	if (auto w = dev_->worker()) {
		r_.worker.found = true;
		r_.worker.pid = w->pid;
		r_.worker.tid = w->tid;
		if (auto st = lwvhost::read_task_stat(w->pid, w->tid))
			r_.worker.kthread = st->is_kthread();
	}
	auto w0 = dev_->worker() ? sample_task_cpu(*dev_->worker()) : std::nullopt;
	const uint64_t cpu0 = thread_cpu_ns();
	t_start_ = t_last_ = now_ns();

	try {
		if (o_.inject_bad_gpa) {
			inject_bad_descriptor();
		} else {
			uint64_t last_progress = now_ns();
			const uint64_t timeout = o_.timeout_ms * 1000000ull;
			while (!finished()) {
				bool p = reap_tx();
				p |= reap_rx();
				if (o_.mode != Mode::rx)
					p |= host_receive();
				p |= produce();
				const uint64_t now = now_ns();
				if (p) {
					last_progress = now;
					continue;
				}
				if (now - last_progress > timeout) {
					r_.timed_out = true;
					break;
				}
				uint64_t sleep = std::min<uint64_t>(timeout - (now - last_progress) + 1,
								    100000000ull);
				if ((o_.rate > 0 || !o_.schedule.empty()) && sent_ < o_.frames) {
					const double due_s = o_.schedule.empty()
								     ? double(sent_) / o_.rate
								     : due_time(o_.schedule, sent_);
					auto next = t_start_ + uint64_t(due_s * 1e9);
					sleep = std::min<uint64_t>(sleep, next > now ? next - now : 0);
				}
				wait(sleep);
			}
		}
	} catch (const RingError &e) {
		r_.failures.push_back(std::string("ring protocol: ") + e.what());
		abort_ = true;
	}

	const uint64_t t_end = t_last_;
	r_.driver_cpu_ns = thread_cpu_ns() - cpu0;
	if (w0) {
		if (auto w1 = sample_task_cpu(*dev_->worker())) {
			r_.worker.cpu_ns = w1->tick_ns - w0->tick_ns;
			if (w0->run_ns && w1->run_ns)
				r_.worker.run_ns = *w1->run_ns - *w0->run_ns;
		}
	}
	r_.duration_s = double(t_end - t_start_) / 1e9;
	// Idle but attached, so pacing tests can watch the backend fall back.
	if (o_.linger_ms)
		std::this_thread::sleep_for(std::chrono::milliseconds(o_.linger_ms));
	finish();
}

void Engine::finish()
{
	dev_->detach();
	r_.tx_base = dev_->vring_base[kTxQ];
	r_.rx_base = dev_->vring_base[kRxQ];
	// The backend is stopped: everything it completed is in the used rings.
	try {
		reap_tx();
		reap_rx();
	} catch (const RingError &e) {
		r_.failures.push_back(std::string("ring protocol: ") + e.what());
		abort_ = true;
	}
	take_interrupts(kRxQ);
	take_interrupts(kTxQ);
	for (unsigned q : {kRxQ, kTxQ})
		if (eventfd_take(dev_->err_fd(q))) {
			r_.err_reported = true;
			if (!o_.inject_bad_gpa)
				r_.failures.push_back(std::string("vring ") + std::to_string(q) +
						      ": backend reported an error on the err eventfd");
		}

	auto fill = [](DirectionResult &d, const SequenceChecker &c) {
		d.expected = c.expected();
		d.received = c.received();
		d.lost = c.lost();
		d.duplicated = c.duplicated();
		d.corrupted = c.corrupted();
		d.out_of_order = c.out_of_order();
	};
	fill(r_.to_host, up_);
	fill(r_.to_guest, down_);
	r_.packets = o_.mode == Mode::tx ? up_.received() : down_.received();
	if (o_.mode == Mode::rr)
		r_.rtt = summarize(rtts_);

	if (o_.inject_bad_gpa)
		return;  // the broken queue is the point; no traffic checks
	auto &f = r_.failures;
	auto check = [&](const char *dir, const DirectionResult &d) {
		if (!d.expected)
			return;
		if (d.lost)
			f.push_back(std::string(dir) + ": " + std::to_string(d.lost) + " of " +
				    std::to_string(d.expected) + " frames lost");
		if (d.duplicated)
			f.push_back(std::string(dir) + ": " + std::to_string(d.duplicated) + " duplicated");
		if (d.corrupted)
			f.push_back(std::string(dir) + ": " + std::to_string(d.corrupted) + " corrupted");
		if (d.out_of_order)
			f.push_back(std::string(dir) + ": " + std::to_string(d.out_of_order) + " out of order");
	};
	check("guest->host", r_.to_host);
	check("host->guest", r_.to_guest);
	for (unsigned q : {kRxQ, kTxQ})
		if (qc_[q]->missed)
			f.push_back(std::to_string(qc_[q]->missed) + (q == kRxQ ? " RX" : " TX") +
				    " interrupts missed (used entries due a call, call eventfd silent)");
	if (r_.header_errors)
		f.push_back(std::to_string(r_.header_errors) + " RX virtio-net header errors");
	if (r_.timed_out)
		f.push_back("no progress for " + std::to_string(o_.timeout_ms) + " ms");
	if (!abort_) {
		Virtqueue &tx = dev_->queue(kTxQ);
		if (*r_.tx_base != tx.avail_idx())
			f.push_back("TX vring base " + std::to_string(*r_.tx_base) +
				    " != avail idx " + std::to_string(tx.avail_idx()));
		if (tx.in_flight())
			f.push_back(std::to_string(tx.in_flight()) +
				    " TX descriptors never returned after detach");
		if (*r_.rx_base != uint16_t(rx_used_total_))
			f.push_back("RX vring base " + std::to_string(*r_.rx_base) +
				    " != used entries returned " + std::to_string(uint16_t(rx_used_total_)));
		if (rx_pending_expected_)
			f.push_back("RX frame left incomplete (num_buffers not satisfied)");
	}
}

}  // namespace

RunResult run(const RunOptions &opts)
{
	RunResult r;
	r.opts = opts;
	Engine e(opts, r);
	e.run();
	return r;
}

}  // namespace vnet
