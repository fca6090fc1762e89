// SPDX-License-Identifier: GPL-2.0
#include "client/procfs.h"

#include "client/procfs_text.h"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace lwvhost::client {

namespace {

// Reads a whole (small) file; err gets "<path>: <errno text>" on failure.
std::optional<std::string> read_file(const std::string &path, Error *err)
{
	int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		err->set(errno, path + ": " + std::strerror(errno));
		return std::nullopt;
	}
	std::string out;
	char buf[4096];
	for (;;) {
		ssize_t n = ::read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;
			::close(fd);
			err->set(e, path + ": " + std::strerror(e));
			return std::nullopt;
		}
		if (n == 0)
			break;
		out.append(buf, size_t(n));
	}
	::close(fd);
	return out;
}

}  // namespace

std::optional<uint32_t> read_value_file(const std::string &path, Error *err)
{
	auto text = read_file(path, err);
	if (!text)
		return std::nullopt;
	auto v = parse_value_file(*text);
	if (!v)
		err->set(EPROTO, path + ": not a decimal value: '" +
				 text->substr(0, text->find('\n')) + "'");
	return v;
}

bool write_value_file(const std::string &path, uint32_t v, Error *err)
{
	int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return err->set(errno, path + ": " + std::strerror(errno));
	std::string s = std::to_string(v) + "\n";
	ssize_t n;
	do
		n = ::write(fd, s.data(), s.size());
	while (n < 0 && errno == EINTR);
	int e = errno;
	::close(fd);
	if (n < 0)
		return err->set(e, path + ": " + std::strerror(e));
	if (size_t(n) != s.size())
		return err->set(EIO, path + ": short write");
	return true;
}

bool ProcfsBackend::available() const
{
	struct stat st;
	return ::stat(root_.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::string ProcfsBackend::dev_dir(uint32_t id) const
{
	return root_ + "/" + std::to_string(id);
}

std::optional<Device> ProcfsBackend::get(uint32_t id, Error *err)
{
	std::string dir = dev_dir(id);
	auto info = read_file(dir + "/info", err);
	if (!info) {
		if (err->code == ENOENT)
			err->message = "no device " + std::to_string(id);
		return std::nullopt;
	}
	auto stats = read_file(dir + "/stats", err);
	if (!stats)
		return std::nullopt;
	Device d;
	std::string perr;
	if (!parse_info(*info, d, &perr) || !parse_stats(*stats, d, &perr)) {
		err->set(EPROTO, dir + ": " + perr);
		return std::nullopt;
	}
	for (Dir dir_ : kDirs)
		for (const auto &k : knobs()) {
			auto v = read_value_file(dir + "/" + dir_name(dir_) + "_" + k.name,
						 err);
			if (!v)
				return std::nullopt;
			d.at(dir_).params.*k.field = *v;
		}
	return d;
}

std::optional<std::vector<Device>> ProcfsBackend::list(Error *err)
{
	DIR *dir = opendir(root_.c_str());
	if (!dir) {
		err->set(errno, root_ + ": " + std::strerror(errno));
		return std::nullopt;
	}
	std::vector<uint32_t> ids;
	while (dirent *e = readdir(dir))
		if (auto id = parse_u32(e->d_name))
			ids.push_back(*id);
	closedir(dir);
	std::sort(ids.begin(), ids.end());

	std::vector<Device> out;
	for (uint32_t id : ids) {
		Error e;
		auto d = get(id, &e);
		if (d) {
			out.push_back(std::move(*d));
			continue;
		}
		// Released between readdir and reading it: not an error.
		if (e.code == ENOENT)
			continue;
		*err = e;
		return std::nullopt;
	}
	return out;
}

bool ProcfsBackend::set(uint32_t id, const ParamUpdate &u, Error *err)
{
	std::string dir = dev_dir(id);
	struct stat st;
	if (::stat(dir.c_str(), &st) != 0) {
		int e = errno;
		// EACCES: /proc/lwvhost is closed to the caller, which is not
		// the same as the device missing.
		if (e != ENOENT)
			return err->set(e, dir + ": " + std::strerror(e));
		return err->set(ENOENT, "no device " + std::to_string(id));
	}
	std::vector<std::string> done;
	for (Dir d : kDirs)
		for (const auto &k : knobs()) {
			auto v = u.get(d, k.knob);
			if (!v)
				continue;
			std::string file = std::string(dir_name(d)) + "_" + k.name;
			Error e;
			if (!write_value_file(dir + "/" + file, *v, &e)) {
				std::string msg = e.message;
				if (!done.empty()) {
					msg += " (already written:";
					for (const auto &f : done)
						msg += " " + f;
					msg += ")";
				}
				return err->set(e.code, msg);
			}
			done.push_back(file + "=" + std::to_string(*v));
		}
	return true;
}

}  // namespace lwvhost::client
