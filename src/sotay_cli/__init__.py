"""sotay: follow the rollout of the "Sổ tay đảng viên điện tử" app and draft the documents."""

__version__ = "0.1.0"
