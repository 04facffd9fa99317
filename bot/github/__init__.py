"""The App's GitHub gateway (githubkit underneath): every GitHub call the App makes."""

from .app_gateway import AppGateway
from .client import AppCredentials, ClientOptions, GitHubApp, graphql_url
from .errors import (
    Conflict,
    Forbidden,
    GitHubError,
    GraphQLError,
    NetworkError,
    NotFound,
    RateLimited,
    ServerError,
    Unauthorized,
    ValidationFailed,
)
from .gateway import RepoGateway
from .models import (
    Annotation,
    CheckAction,
    CheckOutput,
    CheckRun,
    Delivery,
    IssueComment,
    NewReviewComment,
    PullFile,
    PullRequest,
    Review,
    ReviewComment,
    ReviewThread,
)
from .pacing import WritePacer
from .retry import RetryPolicy
from .transport import MetricHook, RateLimitHook, Requester

__all__ = [
    "Annotation",
    "AppCredentials",
    "AppGateway",
    "CheckAction",
    "CheckOutput",
    "CheckRun",
    "ClientOptions",
    "Conflict",
    "Delivery",
    "Forbidden",
    "GitHubApp",
    "GitHubError",
    "GraphQLError",
    "IssueComment",
    "MetricHook",
    "NetworkError",
    "NewReviewComment",
    "NotFound",
    "PullFile",
    "PullRequest",
    "RateLimitHook",
    "RateLimited",
    "RepoGateway",
    "Requester",
    "RetryPolicy",
    "Review",
    "ReviewComment",
    "ReviewThread",
    "ServerError",
    "Unauthorized",
    "ValidationFailed",
    "WritePacer",
    "graphql_url",
]
