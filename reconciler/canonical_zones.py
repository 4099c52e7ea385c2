"""The canonical hosted zones of AWS alias targets: where a load balancer's name lives.

A Route53 alias record names its target's hosted zone (`AliasTarget.HostedZoneId`). For the
AWS services below that zone is fixed per service and region; these are the values
ExternalDNS v0.23.0 uses (a superset of v0.14.2's, every shared value the same), as
docs/route53-alias.md describes. Data only: `reconciler.alias` decides what to do with it.
"""

from __future__ import annotations

from collections.abc import Mapping

# region -> (Application and Classic Load Balancers, Network Load Balancers)
LOAD_BALANCERS: tuple[tuple[str, str, str], ...] = (
    ("af-south-1", "Z268VQBMOI5EKX", "Z203XCE67M25HM"),
    ("ap-east-1", "Z3DQVH9N71FHZ0", "Z12Y7K3UBGUAD1"),
    ("ap-east-2", "Z02789141MW7T1WBU19PO", "Z09176273OC2HWIAUNYW"),
    ("ap-northeast-1", "Z14GRHDCWA56QT", "Z31USIVHYNEOWT"),
    ("ap-northeast-2", "ZWKZPGTI48KDX", "ZIBE1TIR4HY56"),
    ("ap-northeast-3", "Z5LXEXXYW11ES", "Z1GWIQ4HH19I5X"),
    ("ap-south-1", "ZP97RAFLXTNZK", "ZVDDRBQ08TROA"),
    ("ap-south-2", "Z0173938T07WNTVAEPZN", "Z0711778386UTO08407HT"),
    ("ap-southeast-1", "Z1LMS91P8CMLE5", "ZKVM4W9LS7TM"),
    ("ap-southeast-2", "Z1GM3OXH4ZPM65", "ZCT6FZBF4DROD"),
    ("ap-southeast-3", "Z08888821HLRG5A9ZRTER", "Z01971771FYVNCOVWJU1G"),
    ("ap-southeast-4", "Z09517862IB2WZLPXG76F", "Z01156963G8MIIL7X90IV"),
    ("ap-southeast-5", "Z06010284QMVVW7WO5J", "Z026317210H9ACVTRO6FB"),
    ("ap-southeast-6", "Z023301818UFJ50CIO0MV", "Z01392953RKV2Q3RBP0KU"),
    ("ap-southeast-7", "Z0390008CMBRTHFGWBCB", "Z054363131YWATEMWRG5L"),
    ("ca-central-1", "ZQSVJUPU6J1EY", "Z2EPGBW3API2WT"),
    ("ca-west-1", "Z06473681N0SF6OS049SD", "Z02754302KBB00W2LKWZ9"),
    ("cn-north-1", "Z1GDH35T77C1KE", "Z3QFB96KMJ7ED6"),
    ("cn-northwest-1", "ZM7IZAIOVVDZF", "ZQEIKTCZ8352D"),
    ("eu-central-1", "Z215JYRZR1TBD5", "Z3F0SRJ5LGBH90"),
    ("eu-central-2", "Z06391101F2ZOEP8P5EB3", "Z02239872DOALSIDCX66S"),
    ("eu-north-1", "Z23TAZ6LKFMNIO", "Z1UDT6IFJ4EJM"),
    ("eu-south-1", "Z3ULH7SSC9OV64", "Z23146JA1KNAFP"),
    ("eu-south-2", "Z0956581394HF5D5LXGAP", "Z1011216NVTVYADP1SSV"),
    ("eu-west-1", "Z32O12XQLNTSW2", "Z2IFOLAFXWLO4F"),
    ("eu-west-2", "ZHURV8PSTC4K8", "ZD4D7Y8KGAS4G"),
    ("eu-west-3", "Z3Q77PNBQS71R4", "Z1CMS0P5QUZ6D5"),
    ("il-central-1", "Z09170902867EHPV2DABU", "Z0313266YDI6ZRHTGQY4"),
    ("me-central-1", "Z08230872XQRWHG2XF6I", "Z00282643NTTLPANJJG2P"),
    ("me-south-1", "ZS929ML54UICD", "Z3QSRYVP46NYYV"),
    ("mx-central-1", "Z023552324OKD1BB28BH5", "Z02031231H3ID6HYJ9A7U"),
    ("sa-east-1", "Z2P70J7HTTTPLU", "ZTK26PT1VY4CU"),
    ("us-east-1", "Z35SXDOTRQ7X7K", "Z26RNL4JYFTOTI"),
    ("us-east-2", "Z3AADJGX6KTTL2", "ZLMOA37VPKANP"),
    ("us-gov-east-1", "Z166TLBEWOO7G0", "Z1ZSMQQ6Q24QQ8"),
    ("us-gov-west-1", "Z33AYJ8TM3BH4J", "ZMG1MZ2THAWF1"),
    ("us-west-1", "Z368ELLRRE2KJ0", "Z24FKFUX50B4VW"),
    ("us-west-2", "Z1H1FL5HABSF5", "Z18D5FSROUN65G"),
)

VPC_ENDPOINTS: Mapping[str, str] = {
    "af-south-1": "Z09302161J80N9A7UTP7U",
    "ap-east-1": "Z2LIHJ7PKBEMWN",
    "ap-east-2": "Z09379811HWP0POAUWVN3",
    "ap-northeast-1": "Z2E726K9Y6RL4W",
    "ap-northeast-2": "Z27UANNT0PRK1T",
    "ap-northeast-3": "Z376B5OMM2JZL2",
    "ap-south-1": "Z2KVTB3ZLFM7JR",
    "ap-south-2": "Z0952991RWSF5AHIQDIY",
    "ap-southeast-1": "Z18LLCSTV4NVNL",
    "ap-southeast-2": "ZDK2GCRPAFKGO",
    "ap-southeast-3": "Z03881013RZ9BYYZO8N5W",
    "ap-southeast-4": "Z07508191CO1RNBX3X3AU",
    "ca-central-1": "ZRCXCF510Y6P9",
    "eu-central-1": "Z273ZU8SZ5RJPC",
    "eu-central-2": "Z045369019J4FUQ4S272E",
    "eu-north-1": "Z3OWWK6JFDEDGC",
    "eu-south-1": "Z2A5FDNRLY7KZG",
    "eu-south-2": "Z014396544HENR57XQCJ",
    "eu-west-1": "Z38GZ743OKFT7T",
    "eu-west-2": "Z7K1066E3PUKB",
    "eu-west-3": "Z1DWHTMFP0WECP",
    "me-central-1": "Z07122992YCEUCB9A9570",
    "me-south-1": "Z3B95P3VBGEQGY",
    "sa-east-1": "Z2LXUWEVLCVZIB",
    "us-east-1": "Z7HUB22UULQXV",
    "us-east-2": "ZC8PG0KIFKBRI",
    "us-gov-east-1": "Z2MU5TEIGO9WXB",
    "us-gov-west-1": "Z12529ZODG2B6H",
    "us-west-1": "Z12I86A8N7VCZO",
    "us-west-2": "Z1YSA3EXCYUU9Z",
}

API_GATEWAY_REGIONAL: Mapping[str, str] = {
    "af-south-1": "Z2DHW2332DAMTN",
    "ap-east-1": "Z3FD1VL90ND7K5",
    "ap-east-2": "Z02909591O7FG9Q56HWB1",
    "ap-northeast-1": "Z1YSHQZHG15GKL",
    "ap-northeast-2": "Z20JF4UZKIW1U8",
    "ap-south-1": "Z3VO1THU9YC4UR",
    "ap-southeast-1": "ZL327KTPIQFUL",
    "ap-southeast-2": "Z2RPCDW04V8134",
    "ca-central-1": "Z19DQILCV0OWEC",
    "eu-central-1": "Z1U9ULNL0V5AJ3",
    "eu-north-1": "Z3UWIKFBOOGXPP",
    "eu-south-1": "Z3BT4WSQ9TDYZV",
    "eu-south-2": "Z02499852UI5HEQ5JVWX3",
    "eu-west-1": "ZLY8HYME6SFDD",
    "eu-west-2": "ZJ5UAJN8Y3Z2Q",
    "eu-west-3": "Z3KY65QIEKYHQQ",
    "me-central-1": "Z08780021BKYYY8U0YHTV",
    "me-south-1": "Z20ZBPC0SS8806",
    "sa-east-1": "ZCMLWB8V5SYIT",
    "us-east-1": "Z1UJRXOUMOOFQ8",
    "us-east-2": "ZOJJZC49E0EPZ",
    "us-gov-east-1": "Z3SE9ATJYCRCZJ",
    "us-gov-west-1": "Z1K6XKP9SAGWDV",
    "us-west-1": "Z2MUQ32089INYE",
    "us-west-2": "Z2OJLYMUO9EFXC",
}

GLOBAL: Mapping[str, str] = {
    "awsglobalaccelerator.com": "Z2BJ6XQ5FK7U4H",  # Global Accelerator
    "cloudfront.net": "Z2FDTNDATAQYW2",  # CloudFront, and edge-optimised API Gateway
}


def _domain(region: str) -> str:
    return "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"


def suffixes() -> dict[str, str]:
    """Every name suffix of a canonical zone -> that zone's id."""
    table: dict[str, str] = dict(GLOBAL)
    for region, application, network in LOAD_BALANCERS:
        table[f"{region}.elb.{_domain(region)}"] = application
        table[f"elb.{region}.{_domain(region)}"] = network
    for region, zone in VPC_ENDPOINTS.items():
        table[f"{region}.vpce.amazonaws.com"] = zone
    for region, zone in API_GATEWAY_REGIONAL.items():
        table[f"execute-api.{region}.amazonaws.com"] = zone
    return table


SUFFIXES: Mapping[str, str] = suffixes()
