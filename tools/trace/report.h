// SPDX-License-Identifier: GPL-2.0
// Rendering of an Analysis: human tables, CSV, JSON, folded stacks, and the
// side-by-side comparison of two traces. Pure: strings and JSON values out.
#pragma once

#include "analysis.h"

#include <nlohmann/json.hpp>
#include <string>

namespace lwvhost::trace {

struct ReportOptions {
	size_t top = 25;  // function rows in tables (0 = all)
};

std::string render_table(const Analysis &a, const ReportOptions &opt = {});
std::string render_functions_csv(const Analysis &a);
std::string render_passes_csv(const Analysis &a);
std::string render_folded(const Analysis &a);
nlohmann::json to_json(const Analysis &a);

std::string render_diff(const Analysis &a, const std::string &name_a,
			const Analysis &b, const std::string &name_b,
			const ReportOptions &opt = {});
nlohmann::json diff_json(const Analysis &a, const std::string &name_a,
			 const Analysis &b, const std::string &name_b);

// "12.345" (ns -> microseconds with three decimals).
std::string fmt_us(uint64_t ns);

}  // namespace lwvhost::trace
