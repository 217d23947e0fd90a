# METADATA
# title: Quarantine
# description: |
#   An agent that keeps running into denials is held: once it has had `denials`
#   denied tool calls within the last `window_seconds` (data, default 3 in 600 s),
#   every further tool call escalates to a human, whatever it is. The gateway passes
#   input.usage.recent_denials_seconds_ago: seconds since each recent denial, newest
#   first.
package airlock.quarantine

import data.airlock.lib
import data.airlock.quarantine as conf

category := "quarantine"

# METADATA
# title: the agent had too many denied calls in the window
findings contains lib.finding("airlock.quarantine.recent_denials", category, msg) if {
	count(recent) >= conf.denials
	msg := concat("", [
		"the agent had ", format_int(count(recent), 10), " denied tool calls in the last ",
		format_int(conf.window_seconds, 10), " seconds; every call now needs approval",
	])
}

recent := [ago |
	some ago in input.usage.recent_denials_seconds_ago
	is_number(ago)
	ago >= 0
	ago <= conf.window_seconds
]
