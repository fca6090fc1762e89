// SPDX-License-Identifier: GPL-2.0
// Seeded pseudo-random choices for the fuzzers: splitmix64, so a seed means
// the same sequence with every compiler and standard library (std::
// distributions are implementation defined).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <vector>

namespace lwvfuzz {

class Rng {
public:
	explicit Rng(uint64_t seed) : s_(seed) {}

	uint64_t next()
	{
		uint64_t z = (s_ += 0x9e3779b97f4a7c15ull);
		z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
		z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
		return z ^ (z >> 31);
	}
	// Uniform in [0, n); n == 0 gives 0.
	uint64_t below(uint64_t n) { return n ? next() % n : 0; }
	// Uniform in [lo, hi].
	uint64_t range(uint64_t lo, uint64_t hi) { return lo + below(hi - lo + 1); }
	// True with probability num/den.
	bool chance(unsigned num, unsigned den) { return below(den) < num; }
	template <typename T> T pick(std::initializer_list<T> l) { return l.begin()[below(l.size())]; }
	template <typename T> const T &pick(const std::vector<T> &v) { return v[below(v.size())]; }
	// Index into a table of weights.
	size_t weighted(const std::vector<unsigned> &w)
	{
		uint64_t total = 0;
		for (unsigned x : w)
			total += x;
		uint64_t r = below(total);
		for (size_t i = 0; i < w.size(); i++) {
			if (r < w[i])
				return i;
			r -= w[i];
		}
		return w.size() - 1;
	}
	// A value of `bits` width biased toward boundaries: 0, 1, max, max-1,
	// powers of two and their neighbours, or uniformly random.
	uint64_t boundary(unsigned bits)
	{
		const uint64_t max = bits >= 64 ? ~0ull : (1ull << bits) - 1;
		switch (below(8)) {
		case 0:
			return 0;
		case 1:
			return 1;
		case 2:
			return max;
		case 3:
			return max - 1;
		case 4: {
			uint64_t p = 1ull << below(bits);
			return (p + below(3) - 1) & max;
		}
		case 5:
			return (max >> 1) + below(3) - 1;
		default:
			return next() & max;
		}
	}

private:
	uint64_t s_;
};

}  // namespace lwvfuzz
