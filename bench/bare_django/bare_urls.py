import json

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt


@csrf_exempt
def enqueue(request):
    event = json.loads(request.body)
    return JsonResponse(
        {"status": "success", "message": "Event processed", "dedup_key": event.get("dedup_key", "")}, status=202
    )


urlpatterns = [
    path("integrations/v2/enqueue", enqueue),
    path("integrations/alertmanager/", enqueue),
]
