// SPDX-License-Identifier: GPL-2.0
#include "io.h"
#include "tracedat.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <lzma.h>
#include <sstream>

namespace lwvhost::trace {

std::optional<std::string> xz_decompress(const std::string &data, std::string *err)
{
	lzma_stream s = LZMA_STREAM_INIT;
	if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
		*err = "cannot initialise the xz decoder";
		return std::nullopt;
	}
	std::string out;
	char buf[1 << 16];
	s.next_in = reinterpret_cast<const uint8_t *>(data.data());
	s.avail_in = data.size();
	lzma_ret r;
	do {
		s.next_out = reinterpret_cast<uint8_t *>(buf);
		s.avail_out = sizeof(buf);
		r = lzma_code(&s, LZMA_FINISH);
		out.append(buf, sizeof(buf) - s.avail_out);
	} while (r == LZMA_OK);
	lzma_end(&s);
	if (r != LZMA_STREAM_END) {
		*err = "corrupt or truncated xz data (lzma error " + std::to_string(r) + ")";
		return std::nullopt;
	}
	return out;
}

std::optional<std::string> read_trace_file(const std::string &path, std::string *err)
{
	std::string data;
	if (path == "-") {
		std::ostringstream ss;
		ss << std::cin.rdbuf();
		data = ss.str();
	} else {
		std::error_code ec;
		if (std::filesystem::is_directory(path, ec)) {
			*err = path + ": is a directory";
			return std::nullopt;
		}
		std::ifstream f(path, std::ios::binary);
		if (!f) {
			*err = path + ": " + std::strerror(errno);
			return std::nullopt;
		}
		data.assign(std::istreambuf_iterator<char>(f), {});
		if (f.bad()) {
			*err = path + ": read error";
			return std::nullopt;
		}
	}
	static const char magic[] = {'\xfd', '7', 'z', 'X', 'Z', '\0'};
	if (data.size() >= 6 && std::memcmp(data.data(), magic, 6) == 0) {
		auto text = xz_decompress(data, err);
		if (!text)
			*err = path + ": " + *err;
		return text;
	}
	return data;
}

std::optional<LoadedTrace> load_trace(const std::string &path, std::string *err)
{
	auto data = read_trace_file(path, err);
	if (!data)
		return std::nullopt;
	LoadedTrace out;
	if (is_tracedat(*data)) {
		auto events = read_tracedat(*data, err);
		if (!events) {
			*err = path + ": " + *err;
			return std::nullopt;
		}
		out.tracedat = true;
		out.trace = build_trace(std::move(*events));
	} else {
		out.trace = build_trace(*data);
	}
	return out;
}

}  // namespace lwvhost::trace
