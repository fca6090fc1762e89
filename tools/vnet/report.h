// SPDX-License-Identifier: GPL-2.0
// Output of a run: JSON (stable keys, for scripts) and a short human form.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "engine.h"

namespace vnet {

nlohmann::json to_json(const RunResult &r);
std::string to_text(const RunResult &r);
// One line: "PASS|FAIL <label> ..." for selftest.
std::string to_line(const std::string &label, const RunResult &r);

}  // namespace vnet
