package airlock.lib_test

import data.airlock.lib

test_name_tokens_split_cases_and_pairs if {
	lib.name_tokens("addPaymentMethod") == {"add", "payment", "method", "add_payment", "payment_method"}
	lib.name_tokens("send-money") == {"send", "money", "send_money"}
}

test_url_matches_ignores_case_of_host_and_port if {
	entry := {"host": "^api\\.example\\.com$", "methods": ["POST"], "path": "^/v1/x$"}
	lib.url_matches({"method": "post", "host": "API.Example.com:443", "path": "/v1/x"}, entry)
	not lib.url_matches({"method": "GET", "host": "api.example.com", "path": "/v1/x"}, entry)
}
