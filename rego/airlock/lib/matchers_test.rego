package airlock.lib_test

import data.airlock.lib

test_name_tokens_split_cases_and_pairs if {
	lib.name_tokens("addPaymentMethod") == {"add", "payment", "method", "add_payment", "payment_method"}
	lib.name_tokens("send-money") == {"send", "money", "send_money"}
}

test_url_matches_ignores_case_of_host_and_port if {
	entry := {"host": "^api\\.example\\.com$", "methods": ["POST"], "path": "^/v1/x$"}
	lib.url_matches(lib.url_view({"method": "post", "host": "API.Example.com:443", "path": "/v1/x"}), entry)
	not lib.url_matches(lib.url_view({"method": "GET", "host": "api.example.com", "path": "/v1/x"}), entry)
}

test_url_view_reads_missing_fields_as_empty if {
	lib.url_view({"host": "Example.COM."}) == {
		"method": "", "host": "example.com", "path": "", "query": "", "scheme": "",
		"text": "example.com",
	}
}

test_hosts_in_keeps_urls_whose_host_matches_an_entry if {
	entries := [{"host": "^a\\.example$"}, {"host": "^b\\.example$"}]
	inp := {"action": {"urls": [{"host": "a.example"}, {"host": "c.example"}]}}
	[u.host | some u in lib.hosts_in(entries)] == ["a.example"] with input as inp
}

test_tool_matches_reads_the_call_tool_name if {
	vocabulary := {"verbs": ["send"], "objects": ["money"]}
	lib.tool_matches(vocabulary) with input as {"tool_call": {"name": "sendMoney"}}
	not lib.tool_matches(vocabulary) with input as {"tool_call": {"name": "get_money"}}
	not lib.tool_matches(vocabulary) with input as {"tool_call": {"name": 7}}
}
