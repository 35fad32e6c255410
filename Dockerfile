# The camera and consumer services: the same code and pinned requirements as on a developer's machine.
FROM python:3.11-slim
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY camera_sim camera_sim
COPY broker broker
COPY consumers consumers
COPY scenarios scenarios
ENV PYTHONUNBUFFERED=1
ENTRYPOINT ["python", "-m"]
CMD ["camera_sim", "run", "scenarios/demo_match.yaml"]
