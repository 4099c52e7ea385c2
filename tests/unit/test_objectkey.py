"""Object keys carry their kind: "<kind>/<namespace>/<name>", the ownership TXT's resource
label, whatever the namespace is called."""

from typing import Any

import pytest

from dnsgate import ingress, objectkey
from dnsgate.objectkey import INGRESS, SERVICE


def obj(namespace: str, name: str, kind: str | None = None) -> dict[str, Any]:
    marked = {"kind": kind} if kind else {}
    return {**marked, "metadata": {"namespace": namespace, "name": name}}


@pytest.mark.parametrize(("item", "key", "kind"), [
    (obj("shop", "web"), "service/shop/web", SERVICE),
    (obj("ingress", "shop"), "service/ingress/shop", SERVICE),
    (obj("service", "shop"), "service/service/shop", SERVICE),
    (obj("shop", "web", ingress.KIND), "ingress/shop/web", INGRESS),
    (obj("service", "shop", ingress.KIND), "ingress/service/shop", INGRESS),
    (obj("ingress", "ingress", ingress.KIND), "ingress/ingress/ingress", INGRESS),
], ids=["service", "service-in-ingress", "service-in-service", "ingress",
        "ingress-in-service", "ingress-in-ingress"])
def test_every_key_names_its_kind_whatever_the_namespace(
        item: dict[str, Any], key: str, kind: objectkey.Kind) -> None:
    assert objectkey.of(item) == key
    assert objectkey.kind_of(key) is kind
    assert objectkey.parse(key) == objectkey.ObjectKey(
        kind, item["metadata"]["namespace"], item["metadata"]["name"])


@pytest.mark.parametrize("label", [
    "shop/web", "node/n1", "crd/shop/x", "service/shop", "service//web", "service/a/b/c",
    "Service/shop/web", "",
], ids=["kindless", "node", "crd", "no-name", "empty-namespace", "extra-segment",
        "capitalised", "empty"])
def test_other_labels_are_no_key(label: str) -> None:
    assert objectkey.parse(label) is None
    assert not objectkey.in_namespace(label, "shop")


@pytest.mark.parametrize(("key", "namespace", "inside"), [
    ("service/ingress/shop", "ingress", True),
    ("ingress/ingress/shop", "ingress", True),
    ("ingress/shop/web", "ingress", False),
    ("service/service/shop", "service", True),
    ("ingress/shop/web", "shop", True),
    ("service/shop-2/web", "shop", False),
], ids=["service-in-ingress", "ingress-in-ingress", "ingress-elsewhere",
        "service-in-service", "ingress-in-shop", "prefix-namespace"])
def test_namespace_of_a_key(key: str, namespace: str, inside: bool) -> None:
    assert objectkey.in_namespace(key, namespace) is inside
