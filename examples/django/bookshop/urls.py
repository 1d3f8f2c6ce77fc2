"""No views: the example is its test suite."""
urlpatterns = []
