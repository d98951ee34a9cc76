"""Team roster."""


def members(roster: dict[str, str]) -> list[str]:
    return list(roster)


def members_sorted(roster: dict[str, str]) -> list[str]:
    names = members(roster)
    ordered = names.sort(key=str.lower)
    return ordered
