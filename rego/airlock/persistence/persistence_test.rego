package airlock.persistence_test

import data.airlock.fixtures
import data.airlock.persistence

rule(name) := concat(".", ["airlock.persistence", name])

flags(inp, name) if rule(name) in fixtures.rules(inp)

test_cron_installs_escalate if {
	decision := data.airlock.decision with input as fixtures.run(["crontab", "-e"])
	decision == {"action": "escalate", "reasons": [{
		"rule": "airlock.persistence.cron",
		"category": "persistence",
		"message": "`crontab` installs a cron table",
	}]}
	flags(fixtures.run(["crontab", "jobs.txt"]), "cron")
	flags(fixtures.shell([["echo", "* * * * * /tmp/x"], ["crontab", "-"]]), "cron")
	flags(fixtures.run(["crontab", "-u", "www", "-"]), "cron")
}

test_listing_and_removing_cron_allowed if {
	fixtures.action(fixtures.run(["crontab", "-l"])) == "allow"
	fixtures.action(fixtures.run(["crontab", "-u", "www", "-l"])) == "allow"
	fixtures.action(fixtures.run(["crontab", "-r"])) == "allow"
	fixtures.action(fixtures.run(["at", "-l"])) == "allow"
	fixtures.action(fixtures.run(["launchctl", "list"])) == "allow"
	fixtures.action(fixtures.run(["systemctl", "status", "nginx"])) == "allow"
}

test_cron_and_service_files_written_escalate if {
	flags(fixtures.writes(["echo", "x"], "/etc/cron.d/job"), "cron")
	flags(fixtures.writes(["echo", "x"], "/mnt/host/etc/cron.daily/job"), "cron")
	flags(fixtures.writes(["echo", "x"], "/var/spool/cron/crontabs/root"), "cron")
	flags(fixtures.writes(["cp", "a.service", "/etc/systemd/system"], "/etc/systemd/system"), "service_install")
	flags(fixtures.writes(["tee", "/etc/rc.local"], "/etc/rc.local"), "service_install")
	flags(fixtures.writes(["cp", "x.plist", "y"], "/Users/u/Library/LaunchAgents/com.x.plist"), "launch_agent")
}

test_scheduling_and_enabling_escalate if {
	flags(fixtures.run(["at", "now", "+", "1", "minute"]), "scheduled_job")
	flags(fixtures.run(["systemd-run", "--user", "--on-calendar", "*:0/1", "/bin/sh", "-c", "date"]), "scheduled_job")
	flags(fixtures.run(["systemctl", "enable", "--now", "backdoor.service"]), "service_install")
	flags(fixtures.run(["launchctl", "load", "-w", "/Library/LaunchDaemons/x.plist"]), "launch_agent")
	flags(fixtures.run(["update-rc.d", "svc", "defaults"]), "service_install")
}

test_shell_startup_files_escalate if {
	flags(fixtures.writes(["echo", "export PATH=x"], "~/.bashrc"), "shell_profile")
	flags(fixtures.writes(["echo", "x"], "/home/u/.zshrc"), "shell_profile")
	flags(fixtures.writes(["echo", "x"], "/etc/profile.d/motd.sh"), "shell_profile")
	flags(fixtures.writes(["sed", "-i", "s/a/b/", "~/.profile"], "~/.profile"), "shell_profile")
}

test_reading_or_touching_startup_files_allowed if {
	fixtures.action(fixtures.shell_with_paths([["cat", "~/.bashrc"]], [["~/.bashrc", "read"]])) == "allow"
	fixtures.action(fixtures.writes(["touch", ".bash_profile"], ".bash_profile")) == "allow"
	fixtures.action(fixtures.writes(["mkdir", "/etc/cron.minute"], "/etc/cron.minute")) == "allow"
	fixtures.action(fixtures.writes(["echo", "x"], "notes/.bashrc.md")) == "allow"
}

test_accounts_and_keys_escalate if {
	flags(fixtures.run(["useradd", "-m", "backup"]), "new_user")
	flags(fixtures.run(["adduser", "--disabled-password", "svc"]), "new_user")
	flags(fixtures.run(["usermod", "-aG", "sudo", "svc"]), "new_user")
	flags(fixtures.run(["dscl", ".", "-create", "/Users/svc"]), "new_user")
	flags(fixtures.run(["aws", "iam", "create-user", "--user-name", "svc"]), "new_user")
	flags(fixtures.writes(["echo", "svc:x:0:0::/root:/bin/sh"], "/etc/passwd"), "new_user")
	flags(fixtures.writes(["cat", "key.pub"], "~/.ssh/authorized_keys"), "authorized_keys")
	flags(fixtures.run(["ssh-copy-id", "user@host"]), "authorized_keys")
}

test_account_reads_allowed if {
	fixtures.action(fixtures.run(["id", "svc"])) == "allow"
	fixtures.action(fixtures.run(["getent", "passwd", "svc"])) == "allow"
	fixtures.action(fixtures.shell_with_paths([["cat", "/etc/passwd"]], [["/etc/passwd", "read"]])) == "allow"
	fixtures.action(fixtures.run(["aws", "iam", "list-users"])) == "allow"
}

test_preloads_and_hooks_escalate if {
	preload := fixtures.with_action({"commands": [fixtures.raw_command(["ls"], "LD_PRELOAD=/tmp/x.so ls")]})
	flags(preload, "hijack")
	flags(fixtures.run(["export", "LD_PRELOAD=/tmp/x.so"]), "hijack")
	flags(fixtures.writes(["echo", "/tmp/x.so"], "/etc/ld.so.preload"), "hijack")
	flags(fixtures.writes(["echo", "import os"], "/venv/lib/python3.12/site-packages/sitecustomize.py"), "hijack")
	flags(fixtures.writes(["echo", "import os"], "$SITE_PACKAGES/hook.pth"), "hijack")
	flags(fixtures.run(["insmod", "/tmp/mod.ko"]), "kernel_module")
	flags(fixtures.run(["defaults", "write", "com.apple.loginwindow", "LoginHook", "/tmp/x"]), "login_hook")
}

test_model_checkpoint_pth_allowed if {
	fixtures.action(fixtures.writes(["cp", "a.pth", "ckpt/model.pth"], "ckpt/model.pth")) == "allow"
	fixtures.action(fixtures.run(["modprobe", "-r", "snd"])) == "allow"
}

test_event_hooks_escalate if {
	flags(fixtures.run(["trap", "echo $BASH_COMMAND >> /tmp/log", "DEBUG"]), "event_hook")
	flags(fixtures.run(["trap", "nohup sh /tmp/x.sh", "EXIT"]), "event_hook")
	fixtures.action(fixtures.run(["trap", "rm -f $tmp", "EXIT"])) == "allow"
}

test_detached_restart_loops_escalate if {
	loop := fixtures.raw_command(
		["sh", "-c", "while true; do python agent.py; sleep 5; done"],
		"nohup sh -c \"while true; do python agent.py; sleep 5; done\"",
	)
	flags(fixtures.with_action({"commands": [loop]}), "detached_restart")
	flags(fixtures.run(["screen", "-dmS", "x", "bash", "-c", "until false; do ./run; done"]), "detached_restart")
	flags(fixtures.run(["pm2", "start", "agent.js"]), "detached_restart")
}

test_detached_without_loop_allowed if {
	once := fixtures.raw_command(["python", "server.py"], "nohup python server.py")
	fixtures.action(fixtures.with_action({"commands": [once]})) == "allow"
	fixtures.action(fixtures.run(["screen", "-dmLS", "session", "make", "test"])) == "allow"
	fixtures.action(fixtures.run(["tmux", "new", "-s", "work"])) == "allow"
}

test_persistence_tool_names_escalate if {
	flags(fixtures.tool("create_cron_job", {"schedule": "* * * * *"}), "persistence_tool")
	flags(fixtures.tool("addSshKey", {}), "persistence_tool")
	fixtures.action(fixtures.tool("create_calendar_event", {})) == "allow"
	fixtures.action(fixtures.tool("add_user_to_channel", {})) == "allow"
}

test_missing_facts_allowed if {
	inp := object.union(fixtures.base, {"action": {"code": null}})
	count(persistence.findings) == 0 with input as inp
	fixtures.action(inp) == "allow"
}
