"""Who a face is: an enrolled gallery of speakers and an open-set classifier over it."""

from speakerid.identity.classify import Match
from speakerid.identity.gallery import Gallery

__all__ = ["Gallery", "Match"]
