"""JupyterHub configuration of the Trilateral class on one machine.

Used as is by ``tests/test_hub.py`` and ``make hub``; the instructor guide
("JupyterHub at class scale") quotes it. Everything that differs between a
test run and a real server comes from environment variables set by
``hub/local_class.py`` (a real server sets them in its service unit):

TRILATERAL_HUB_DIR        the hub's own state (database, cookie secret), root only
TRILATERAL_HUB_ETC        a folder every user can read, with the nbgrader_config.py
                          that names the exchange and the course id
TRILATERAL_HUB_VENV       the Python environment every user runs (readable by all)
TRILATERAL_HUB_CHP        the configurable-http-proxy executable
TRILATERAL_HUB_PORTS      four free ports: public, hub API, proxy API, formgrader
TRILATERAL_HUB_INSTRUCTOR the instructor's unix account
TRILATERAL_HUB_STUDENTS   the students' unix accounts, comma-separated
TRILATERAL_HUB_COURSE     the course folder (in the instructor's home)
"""

import os

c = get_config()  # noqa: F821  (provided by traitlets when it loads this file)

hub_dir = os.environ["TRILATERAL_HUB_DIR"]
venv = os.environ["TRILATERAL_HUB_VENV"]
public, hub_api, proxy_api, formgrader = os.environ["TRILATERAL_HUB_PORTS"].split(",")
instructor = os.environ["TRILATERAL_HUB_INSTRUCTOR"]
students = os.environ["TRILATERAL_HUB_STUDENTS"].split(",")
course = os.environ["TRILATERAL_HUB_COURSE"]
etc = os.environ["TRILATERAL_HUB_ETC"]

# Loopback only: a real server puts TLS in front (or sets bind_url to its name).
c.JupyterHub.bind_url = f"http://127.0.0.1:{public}"
c.JupyterHub.hub_bind_url = f"http://127.0.0.1:{hub_api}"
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{proxy_api}"
c.ConfigurableHTTPProxy.command = [os.environ["TRILATERAL_HUB_CHP"]]
c.JupyterHub.db_url = f"sqlite:///{hub_dir}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = f"{hub_dir}/jupyterhub_cookie_secret"
c.ConfigurableHTTPProxy.pid_file = f"{hub_dir}/proxy.pid"

# Real unix accounts, real passwords: PAM checks them.
c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = {instructor, *students}
c.Authenticator.admin_users = {instructor}

# Each server runs as its own unix user (setuid by LocalProcessSpawner), in
# the shared environment, from the user's home.
c.JupyterHub.spawner_class = "jupyterhub.spawner.LocalProcessSpawner"
c.Spawner.cmd = [f"{venv}/bin/jupyterhub-singleuser"]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 90
c.Spawner.http_timeout = 90
c.Spawner.environment = {
    "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
    # nbgrader reads the exchange and the course id from here (every user).
    "JUPYTER_CONFIG_PATH": etc,
    "MPLBACKEND": "module://matplotlib_inline.backend_inline",
    # nbgitpuller clones the self-study repository, which another user owns:
    # this file names it safe (git refuses other users' repositories otherwise).
    "GIT_CONFIG_GLOBAL": f"{etc}/gitconfig",
}


# Students get a second config folder first in the path (make hub-env copies
# hub/student-config/ into the environment): it turns off nbgrader's instructor
# interface (formgrader, course list, Create Assignment), so a student's
# Nbgrader menu offers the Assignment List only, and saves notebooks with
# static copies of the course's widgets (trilateral.publishing.savehook).
def _config_path(spawner):
    if spawner.user.name == instructor:
        return etc
    return os.pathsep.join([f"{venv}/etc/trilateral-student", etc])


c.Spawner.environment["JUPYTER_CONFIG_PATH"] = _config_path

# The formgrader: a Jupyter server for the course folder, run by the hub as
# the instructor (nbgrader's "Using nbgrader with JupyterHub"), reachable at
# /services/formgrader-trilateral by the course's graders only.
c.JupyterHub.services = [
    {
        "name": "formgrader-trilateral",
        "url": f"http://127.0.0.1:{formgrader}",
        "command": [f"{venv}/bin/jupyterhub-singleuser", "--ServerApp.default_url=/formgrader"],
        "user": instructor,
        "cwd": course,
        "oauth_no_confirm": True,
        "environment": {
            "PATH": f"{venv}/bin:/usr/local/bin:/usr/bin:/bin",
            "HOME": os.path.dirname(course),
            "JUPYTER_CONFIG_PATH": etc,
        },
    }
]
c.JupyterHub.load_groups = {"formgrader-trilateral": {"users": [instructor]}}
c.JupyterHub.load_roles = [
    {
        "name": "formgrader-trilateral",
        "groups": ["formgrader-trilateral"],
        "scopes": ["access:services!service=formgrader-trilateral"],
    }
]
