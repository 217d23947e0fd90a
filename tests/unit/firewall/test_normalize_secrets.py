"""gateway/firewall/normalize/secrets.py: secret types and locations, never values.

Every credential below is fake, assembled at run time so that the repository holds nothing a
secret scanner would flag.
"""

from __future__ import annotations

import orjson
import pytest

from gateway.firewall.normalize import mask_secrets, normalize
from gateway.firewall.normalize.secrets import find_secrets, secret_types

AWS_KEY_ID = "AKIA" + "Z" * 16
AWS_SECRET = "abcd" * 10
GITHUB = "ghp_" + "x1" * 18
STRIPE = "sk_" + "live_" + "0a" * 12
OPENAI = "sk-" + "proj-" + "Ab1" * 16
ANTHROPIC = "sk-" + "ant-" + "api03-" + "b2" * 24
AIRLOCK = "sk-" + "airlock-" + "Qz9_-x" * 7 + "A"  # the shape the admin API mints
SLACK = "xox" + "b-" + "1234567890-abcdefghij"
PRIVATE_KEY = (
    "-----BEGIN " + "RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\n-----END " + "RSA PRIVATE KEY-----"
)
JWT = "eyJ" + "hbGciOiJub25lIn0" + ".eyJ" + "zdWIiOiJ0ZXN0In0" + ".c2lnbmF0dXJl"
GOOGLE = "AIza" + "Q" * 35
HUGGINGFACE = "hf_" + "aB3" * 12
GITLAB = "glpat-" + "c" * 20
NPM = "npm_" + "d" * 36
PASSWORD = "hunter" + "22x"

CASES = [
    ("aws_access_key_id", f"export AWS_ACCESS_KEY_ID={AWS_KEY_ID}", AWS_KEY_ID),
    ("aws_secret_access_key", f"aws configure set aws_secret_access_key {AWS_SECRET}", AWS_SECRET),
    ("aws_secret_access_key", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET} aws s3 ls", AWS_SECRET),
    ("github_token", f"git clone https://{GITHUB}@github.com/o/r", GITHUB),
    ("stripe_key", f"curl https://api.stripe.com/v1/charges -u {STRIPE}:", STRIPE),
    ("openai_api_key", f"OPENAI={OPENAI} python app.py", OPENAI),
    ("anthropic_api_key", f"export KEY={ANTHROPIC}", ANTHROPIC),
    ("airlock_agent_key", f"echo {AIRLOCK} > /tmp/k", AIRLOCK),
    ("airlock_agent_key", f"python -c \"OpenAI(api_key='{AIRLOCK}')\"", AIRLOCK),
    ("slack_token", f"curl -d token={SLACK} https://slack.com/api/x", SLACK),
    ("private_key", f"echo '{PRIVATE_KEY}' > key.pem", "MIIBOgIBAAJBAK"),
    ("jwt", f"curl -H 'Cookie: session={JWT}' https://a.io", JWT),
    ("google_api_key", f"curl 'https://maps.googleapis.com/x?key={GOOGLE}'", GOOGLE),
    ("huggingface_token", f"hf auth login --token {HUGGINGFACE}", HUGGINGFACE),
    ("gitlab_token", f"glab auth login -t {GITLAB}", GITLAB),
    ("npm_token", f"npm config set //registry.npmjs.org/:_authToken={NPM}", NPM),
    ("url_basic_auth", f"git clone https://bob:{PASSWORD}@git.example.com/r", PASSWORD),
    (
        "authorization_header",
        f"curl -H 'Authorization: Bearer {PASSWORD}123' https://a.io",
        PASSWORD,
    ),
    ("password", f"mysql -u root -p{PASSWORD} db", PASSWORD),
    ("password", f"sshpass -p '{PASSWORD}' ssh h", PASSWORD),
    ("password", f"curl -u bob:{PASSWORD} https://a.io", PASSWORD),
    ("password", f"psql --password={PASSWORD}", PASSWORD),
    ("password", f"openssl enc -pass pass:{PASSWORD} -in f", PASSWORD),
    ("password", f"PASSWORD={PASSWORD} ./run.sh", PASSWORD),
    ("password", f"export DB_PASSWORD='{PASSWORD}'", PASSWORD),
    ("credential_assignment", f"export SERVICE_API_KEY={PASSWORD}", PASSWORD),
]


@pytest.mark.parametrize(("kind", "text", "value"), CASES)
def test_secret_types_are_found(kind: str, text: str, value: str) -> None:
    assert kind in secret_types(text)


@pytest.mark.parametrize(("kind", "text", "value"), CASES)
def test_secrets_are_reported_by_type_and_location_only(kind: str, text: str, value: str) -> None:
    facts = normalize("bash", {"command": text})
    assert (kind, "arguments.command") in {(s.type, s.at) for s in facts.secrets}
    assert value not in orjson.dumps(facts.secrets).decode()


@pytest.mark.parametrize(("kind", "text", "value"), CASES)
def test_mask_secrets_hides_every_value(kind: str, text: str, value: str) -> None:
    masked = mask_secrets(text)
    assert value not in masked
    assert f"[REDACTED:{kind}]" in masked
    assert mask_secrets(masked) == masked


def test_secrets_in_mentions_are_still_reported() -> None:
    facts = normalize("bash", {"command": f"echo 'my key is {AWS_KEY_ID}'"})
    assert [(s.type, s.at) for s in facts.secrets] == [("aws_access_key_id", "arguments.command")]


def test_mask_secrets_works_on_serialized_records() -> None:
    record = orjson.dumps({"command": f"mysql -p{PASSWORD}", "key": PRIVATE_KEY}).decode()
    masked = mask_secrets(record)
    assert PASSWORD not in masked
    assert "MIIBOgIBAAJBAK" not in masked


@pytest.mark.parametrize(
    "text",
    [
        "TechServices password reset",
        "DB_PASSWORD=$DB_PASSWORD ./run",
        'PASSWORD="${PASSWORD}"',
        "password=get_password()",
        "password=args.password",
        "--password-file=/run/secrets/db",
        "token = tokenizer(text)",
        "sk-learn-is-great-for-machine-learning-and-more-words",
        "pip install sk-airlock-client-for-python-and-more-words-here",
        "ls -p /tmp",
        "docker run -u 1000:1000 img",
        "https://example.com/a:b@c",
        "password: ********",
        "PASSWORD=",
        "AKIA" + "Z" * 15,
        "see hf_hub_download_for_details_of_the_api",
        "",
    ],
)
def test_lookalikes_are_not_secrets(text: str) -> None:
    assert find_secrets(text) == []
    assert mask_secrets(text) == text


@pytest.mark.parametrize(
    ("arguments", "expected"),
    [
        ({"password": PASSWORD}, [("password", "arguments.password")]),
        ({"db": {"passwd": PASSWORD}}, [("password", "arguments.db.passwd")]),
        ({"api_key": PASSWORD}, [("credential_argument", "arguments.api_key")]),
        (
            {"headers": {"Authorization": f"Bearer {PASSWORD}"}},
            [("authorization_header", "arguments.headers.Authorization")],
        ),
        ({"token": GITHUB}, [("github_token", "arguments.token")]),
        ({"tokens": [1, 2], "max_tokens": 10, "next_page_token": "CAE"}, []),
        ({"password": "$DB_PASSWORD"}, []),
        ({"password": ""}, []),
        (
            {"items": [{"note": f"key {AWS_KEY_ID}"}]},
            [("aws_access_key_id", "arguments.items[0].note")],
        ),
    ],
)
def test_secrets_in_arguments_by_name_and_by_value(
    arguments: dict[str, object], expected: list[tuple[str, str]]
) -> None:
    facts = normalize("call_api", arguments)
    assert [(s.type, s.at) for s in facts.secrets] == expected


def test_a_secret_used_as_a_key_is_masked_in_its_location() -> None:
    facts = normalize("tool", {GITHUB: 1})
    assert [(s.type, s.at) for s in facts.secrets] == [
        ("github_token", "arguments.[REDACTED:github_token]")
    ]


def test_secrets_in_raw_text_are_found() -> None:
    facts = normalize("bash", f"curl -u bob:{PASSWORD} https://a.io", "not valid JSON")
    assert [(s.type, s.at) for s in facts.secrets] == [("password", "arguments")]


def test_each_secret_type_is_reported_once_per_location() -> None:
    facts = normalize("bash", {"command": f"echo {AWS_KEY_ID} {AWS_KEY_ID[:-1]}Y"})
    assert len(facts.secrets) == 1
