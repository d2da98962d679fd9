"""Request bodies GitHub's description accepts in its prose but leaves out of its schemas.

Each entry quotes the description. The checker accepts such a body only after it has failed
the schema, so everything the schema describes is still checked field by field.
"""

from __future__ import annotations

from typing import Any

_LABEL_NAMES: dict[str, Any] = {"type": "array", "items": {"type": "string"}}

REQUEST_ALTERNATIVES: dict[tuple[str, str], dict[str, Any]] = {
    # "You can also pass an `array` of labels directly, but GitHub recommends passing an object
    # with the `labels` key." PyGithub's `Issue.add_to_labels` sends the array.
    ("post", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): {**_LABEL_NAMES, "minItems": 1},
    # "You can pass an empty array to remove all labels. Alternatively, you can pass a single
    # label as a `string` or an `array` of labels directly". PyGithub's `set_labels` sends one.
    ("put", "/repos/{owner}/{repo}/issues/{issue_number}/labels"): {
        "oneOf": [_LABEL_NAMES, {"type": "string"}]
    },
}
